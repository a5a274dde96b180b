"""Job types: the public API to declare one and the registry the worker reads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from jobdock.jobs.errors import ErrorRule
from jobdock.jobs.inputs import InputModel
from jobdock.jobs.model import Job
from jobdock.jobs.periodic import Schedule
from jobdock.jobs.retry import OperationRetry, RetryPolicy
from jobdock.jobs.unique import Unique


@dataclass(frozen=True)
class Stage:
    """A named stage; ``weight`` is its share of the progress bar (relative).

    ``checkpoint`` names its intermediate file (``stage-{checkpoint}.json``) when that
    differs from the stage name (e.g. stage ``extract`` → ``stage-extraction.json``).
    """

    name: str
    weight: float = 1.0
    checkpoint: str | None = None

    @property
    def checkpoint_name(self) -> str:
        return self.checkpoint or self.name


Handler = Callable[..., Any]
# Where a job's files go, from the job (e.g. ``documents/{user}/{doc}``); default jobs/{id}.
StoragePrefix = Callable[[Job], str]


@dataclass
class JobType:
    name: str
    handler: Handler
    label: str
    stages: tuple[Stage, ...] = ()
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    error_rules: tuple[ErrorRule, ...] = ()
    keep_intermediate: bool = False
    description: str = ""
    operation_retry: OperationRetry | None = None  # ``with_retry`` backoff (default 2/4/8 s)
    input_model: InputModel | None = None  # validated at submit when given
    storage_prefix: StoragePrefix | None = None

    def prefix_for(self, job: Job) -> str | None:
        return self.storage_prefix(job) if self.storage_prefix else None
    queue: str = "default"
    concurrency_limit: int | None = None  # most running at once across all workers
    unique: Unique | None = None


class UnknownJobType(LookupError):
    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        names = ", ".join(self.known) or "none"
        super().__init__(f"unknown job type {name!r} (registered: {names})")


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, JobType] = {}
        self._schedules: dict[str, Schedule] = {}

    def add(self, job_type: JobType) -> JobType:
        self._types[job_type.name] = job_type
        return job_type

    def get(self, name: str) -> JobType:
        try:
            return self._types[name]
        except KeyError:
            raise UnknownJobType(name, self._types) from None

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def add_schedule(self, schedule: Schedule) -> Schedule:
        """Declare a periodic job in code; workers write it to the schedules table."""
        self._schedules[schedule.name] = schedule
        return schedule

    def schedules(self) -> list[Schedule]:
        return [self._schedules[n] for n in sorted(self._schedules)]

    def limits(self) -> dict[str, int]:
        return {t.name: t.concurrency_limit for t in self._types.values()
                if t.concurrency_limit is not None}

    def names(self) -> list[str]:
        return sorted(self._types)

    def all(self) -> list[JobType]:
        return [self._types[n] for n in self.names()]

    def job_type(
        self,
        name: str,
        *,
        label: str | None = None,
        stages: Sequence[str | Stage] = (),
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        error_rules: Sequence[ErrorRule] = (),
        keep_intermediate: bool = False,
        description: str = "",
        operation_retry: OperationRetry | None = None,
        input: InputModel | None = None,
        storage_prefix: StoragePrefix | None = None,
        queue: str = "default",
        concurrency_limit: int | None = None,
        unique: Unique | None = None,
        schedules: Sequence[Schedule] = (),
    ) -> Callable[[Handler], Handler]:
        """Decorator: register ``fn(ctx) -> dict | None`` as the handler of ``name``.

        ``input``: a pydantic model of the job's input; submissions that do not match it
        are refused (CLI exit 2, API 422) and the handler reads ``ctx.input`` as validated.
        ``queue`` names its queue; ``concurrency_limit`` caps how many run at once in the
        whole system; ``unique`` makes duplicate submits return the existing job;
        ``schedules`` enqueue it periodically (see ``jobs.periodic.Schedule``).
        """
        policy = (retry or RetryPolicy()).derive(max_retries=max_retries)

        def register(fn: Handler) -> Handler:
            self.add(
                JobType(
                    name=name,
                    handler=fn,
                    label=label or name.replace("_", " ").capitalize(),
                    stages=tuple(s if isinstance(s, Stage) else Stage(s) for s in stages),
                    retry=policy,
                    error_rules=tuple(error_rules),
                    keep_intermediate=keep_intermediate,
                    description=description or (fn.__doc__ or "").strip().split("\n")[0],
                    operation_retry=operation_retry,
                    input_model=input,
                    storage_prefix=storage_prefix,
                    queue=queue,
                    concurrency_limit=concurrency_limit,
                    unique=unique,
                )
            )
            for schedule in schedules:
                self.add_schedule(schedule)
            return fn

        return register


default_registry = Registry()
job_type = default_registry.job_type

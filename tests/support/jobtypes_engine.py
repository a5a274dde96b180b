"""Job types for the engine acceptance tests (issues 3 and 4).

``gated_sleep`` is the real ``staged_sleep`` handler behind a gate: before every safe
point and every stage it tells the test where it is and, while the gate is closed,
waits there. Tests use it to pause, cancel or race a job at an exact step, without
sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from jobdock.diagnostics import staged_sleep
from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError, TransientError
from jobdock.jobs.model import Job
from jobdock.jobs.registry import default_registry
from jobdock.jobs.retry import OperationRetry, RetryPolicy

GATES: dict[str, Gate] = {}


class Gate:
    """Where a gated handler stands, and a door the test opens."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.arrivals: list[str] = []
        self.stop_at: str | None = None  # block at this label until opened
        self.also_stop_at: set[str] = set()  # more labels, each released on its own
        self._released: set[str] = set()
        self._cond = threading.Condition()
        self._open = False
        GATES[name] = self

    def arrive(self, label: str) -> None:
        with self._cond:
            self.arrivals.append(label)
            self._cond.notify_all()
            if label == self.stop_at or label in self.also_stop_at:
                self._cond.wait_for(lambda: self._open or label in self._released, timeout=60)

    def open(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()

    def release(self, label: str) -> None:
        with self._cond:
            self._released.add(label)
            self._cond.notify_all()

    def reached(self, label: str) -> bool:
        with self._cond:
            return label in self.arrivals


class _GatedContext:
    """Proxies a JobContext; reports each stage start and step safe point to a gate."""

    def __init__(self, ctx: JobContext, gate: Gate) -> None:
        self._ctx, self._gate = ctx, gate

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def run_stage(self, name: str, fn: Any, *args: Any) -> Any:
        self._gate.arrive(f"stage {name}")
        args = tuple(self if a is self._ctx else a for a in args)
        return self._ctx.run_stage(name, fn, *args)

    def safe_point(self, done: int | None = None, total: int | None = None, **kw: Any) -> None:
        self._gate.arrive(f"step {self._ctx._current} {done}")
        self._ctx.safe_point(done, total, **kw)


@default_registry.job_type("engine_gated_sleep", label="Test: staged_sleep behind a gate",
                           stages=[f"part{i + 1}" for i in range(8)])
def gated_sleep(ctx: JobContext) -> dict[str, Any]:
    gate = GATES.get(ctx.input.get("gate", ""))
    return staged_sleep(_GatedContext(ctx, gate) if gate else ctx)  # type: ignore[arg-type]


@default_registry.job_type("engine_progress_spam", label="Test: 100,000 progress updates")
def progress_spam(ctx: JobContext) -> dict[str, Any]:
    n = int(ctx.input.get("updates", 100_000))
    started = time.monotonic()
    for i in range(n):
        ctx.update_progress(100.0 * (i + 1) / n, details=f"update {i + 1} of {n}")
    elapsed = time.monotonic() - started
    gate = GATES.get(ctx.input.get("gate", ""))
    if gate:
        gate.arrive("updated")
    return {"elapsed": elapsed}


def _write_files(ctx: JobContext) -> dict[str, Any]:
    a = ctx.run_stage("extract", lambda: {"text": "hello"})
    ctx.run_stage("chunk", lambda: {"chunks": [a["text"]]})
    ctx.save_stage_result("chunks", {"chunks": [a["text"]]}, final=True)
    return {"ok": True}


def _entity_folder(job: Job) -> str:
    """A job type's own storage prefix: its entity's folder (like the library's documents)."""
    return f"documents/{job.user_id}/{job.entity_id}"


default_registry.job_type("engine_files", stages=["extract", "chunk"],
                          storage_prefix=_entity_folder)(_write_files)
default_registry.job_type("engine_files_kept", stages=["extract", "chunk"],
                          keep_intermediate=True, storage_prefix=_entity_folder)(_write_files)

FLAKY_CALLS: dict[str, int] = {}


@default_registry.job_type("engine_flaky_op", label="Test: with_retry around a flaky call",
                           operation_retry=OperationRetry(attempts=4, base_seconds=0.001,
                                                          cap_seconds=0.002))
def flaky_op(ctx: JobContext) -> dict[str, Any]:
    key, failures = ctx.input["key"], int(ctx.input.get("failures", 0))
    error = ctx.input.get("error", "transient")

    def call() -> int:
        FLAKY_CALLS[key] = FLAKY_CALLS.get(key, 0) + 1
        if FLAKY_CALLS[key] <= failures:
            if error == "permanent":
                raise PermanentError("the document is corrupt")
            raise ConnectionResetError("connection reset by peer")
        return FLAKY_CALLS[key]

    return {"calls": ctx.with_retry(call, what="flaky call")}


@default_registry.job_type("engine_slow_backoff", label="Test: a type with its own backoff",
                           retry=RetryPolicy(base_seconds=5.0, cap_seconds=3600.0, jitter=0.1))
def always_transient(ctx: JobContext) -> None:
    raise TransientError("the service is busy")


def _rule(exc: BaseException) -> Any:
    from jobdock.jobs.errors import Classification
    from jobdock.jobs.model import ErrorType

    if isinstance(exc, TimeoutError) and "quota" in str(exc):
        return Classification(ErrorType.PERMANENT, "The monthly quota is used up.")
    return None


@default_registry.job_type("engine_rules", label="Test: job-type error rules",
                           error_rules=[_rule])
def ruled(ctx: JobContext) -> None:
    raise TimeoutError("quota exceeded")


@default_registry.job_type("engine_wait", label="Test: wait at a gate, then finish")
def wait_then_finish(ctx: JobContext) -> dict[str, Any]:
    """No safe point: it cannot learn that it lost the job, it just tries to complete."""
    claimed_at = ctx.job.heartbeat_at.isoformat() if ctx.job.heartbeat_at else ""
    gate = GATES[ctx.input["gate"]]
    gate.arrive("waiting")
    gate.arrive(f"claimed {claimed_at}")
    gate.arrive(f"returning {claimed_at}")
    return {"claimed_at": claimed_at}

"""Run one claimed job and record how it ended (completed, failed, paused, released, cancelled)."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import logging
import random
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from jobdock.jobfiles import delete_job_files
from jobdock.jobs.clock import Clock
from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import Classification, classify
from jobdock.jobs.interrupts import Interrupt, JobInterrupted
from jobdock.jobs.jsonsafe import non_finite_number
from jobdock.jobs.model import ErrorType, Job, JobStatus
from jobdock.jobs.observe import job_scope
from jobdock.jobs.registry import JobType, Registry, UnknownJobType
from jobdock.jobs.retry import RetryPolicy
from jobdock.jobs.services import ServiceKey
from jobdock.storage import Storage, StorageUnavailable
from jobdock.store import Store, is_store_outage
from jobdock.worker.completer import Completer
from jobdock.worker.outage import Outage, OutageGaveUp
from jobdock.worker.port import ServiceFactory, WorkerPort
from jobdock.worker.threads import run_in_daemon_thread

log = logging.getLogger("jobdock.worker")
T = TypeVar("T")


@dataclass
class RunningJob:
    job: Job
    port: WorkerPort
    ctx: JobContext | None = None
    flushed_version: int = 0
    started: float = 0.0  # time.monotonic() when the handler was called


class Executor:
    def __init__(self, store: Store, storage: Storage, registry: Registry, clock: Clock,
                 worker_id: str, completer: Completer,
                 services: Mapping[ServiceKey[object], ServiceFactory] | None = None, *,
                 outage: Outage | None = None, patience: float = 30.0,
                 cleanup_patience: float = 120.0, stopping: asyncio.Event | None = None
                 ) -> None:
        self.store = store
        self.cleanup_patience = cleanup_patience
        self.stopping = stopping or asyncio.Event()
        self.outage = outage or Outage(worker_id)
        self.patience = patience
        self.storage = storage
        self.registry = registry
        self.clock = clock
        self.worker_id = worker_id
        self.completer = completer
        self.services = services or {}
        self._follow_ups: dict[asyncio.Task[Any], uuid.UUID] = {}

    def prepare(self, job: Job) -> RunningJob:
        port = WorkerPort(asyncio.get_running_loop(), self.store, self.storage, job.id,
                          self.worker_id, self.clock, self.services)
        return RunningJob(job, port)

    async def run(self, running: RunningJob) -> None:
        with job_scope(running.job.id, running.job.job_type):
            await self._run(running)

    async def _run(self, running: RunningJob) -> None:
        job = running.job
        try:
            job_type = self.registry.get(job.job_type)
        except UnknownJobType as exc:
            known = ", ".join(exc.known) or "none"
            await self._fail(running, Classification(
                ErrorType.PERMANENT,
                f"No handler is registered for job type {job.job_type!r} on this worker "
                f"(it knows: {known})."), None, RetryPolicy())
            return
        # One INFO line per job, at its end (with its duration); the start is DEBUG: two
        # lines per job were a seventh of a short job's cost in the worker.
        log.debug("job %s started: %s", job.id, job.job_type)
        running.started = time.monotonic()
        ctx = JobContext(job, running.port, job_type.stages, job_type.error_rules,
                         job_type.operation_retry, job_type.prefix_for(job))
        running.ctx = ctx
        try:
            output = await self._call_handler(job_type, ctx)
        except JobInterrupted as interrupt:
            await self._interrupted(running, interrupt.reason)
        except Exception as exc:
            if is_store_outage(exc):  # not the job's fault: no retry spent
                await self._release_after_outage(running)
            else:
                await self._fail(running, classify(exc, job_type.error_rules), exc,
                                 job_type.retry)
        else:
            await self._complete(running, job_type, output)

    async def _call_handler(self, job_type: JobType, ctx: JobContext) -> Any:
        if inspect.iscoroutinefunction(job_type.handler):
            return await job_type.handler(ctx)
        # the thread runs in a copy of this context: logs and spans know the job
        return await run_in_daemon_thread(contextvars.copy_context().run, job_type.handler, ctx)

    # ---- outcomes ---------------------------------------------------------------------------
    async def _complete(self, running: RunningJob, job_type: JobType, output: Any) -> None:
        if _lost(running):
            return
        asked = running.port.interrupt()
        if asked in (Interrupt.CANCEL, Interrupt.PAUSE):  # heard before the end: it wins
            await self._interrupted(running, asked)
            return
        if output is not None and not isinstance(output, dict):
            output = {"result": output}
        where = non_finite_number(output)
        if where is not None:  # refused here: in a batch it would sink every completion
            await self._fail(running, Classification(
                ErrorType.PERMANENT, f"The job's output{where} is not a finite number (NaN "
                                     "or infinity); JSON cannot hold it."), None, RetryPolicy())
            return
        progress = None
        if running.ctx is not None and running.ctx.progress_version:
            _, progress = running.ctx.progress_snapshot()
            progress.update(percent=100.0, details="Completed")
        recorded = self.completer.complete(running.job.id, output, progress)
        # Earlier runs (before a pause, shutdown or rescue) may have written checkpoints too.
        wrote = running.port.wrote_intermediate or running.job.last_checkpoint_path is not None
        clean = wrote and not job_type.keep_intermediate
        # The slot is free already; what follows the write runs on its own.
        recorded.add_done_callback(
            lambda done: self._after_completion(running, done.result(), clean))

    def _after_completion(self, running: RunningJob, won: bool, clean: bool) -> None:
        if won:
            log.info("job %s completed: %s in %.1f ms", running.job.id, running.job.job_type,
                     (time.monotonic() - running.started) * 1000)
        if won and clean:  # only the job's owner cleans up after it
            job_id = running.job.id
            self._follow_up(running, self._until_done(
                lambda: delete_job_files(self.store, self.storage, job_id, keep_final=True),
                f"the cleanup of job {job_id}"))
        elif not won:
            self._follow_up(running, self._completion_refused(running))

    async def _completion_refused(self, running: RunningJob) -> None:
        """The guarded completion (or failure) lost: a cancel or pause asked for before it
        was written wins (the job is still ours, its request set); otherwise the job is no
        longer ours."""
        try:
            flags = (await self.store.job_control_flags([running.job.id])).get(running.job.id)
        except Exception as exc:
            if not is_store_outage(exc):
                raise
            return  # the database is away: the job stays ours until the rescuer acts
        if flags is None or flags.status != JobStatus.PROCESSING or \
                flags.worker_id != self.worker_id:
            return
        if flags.cancel_requested:
            await self._interrupted(running, Interrupt.CANCEL)
        elif flags.pause_requested:
            await self._interrupted(running, Interrupt.PAUSE)

    async def _until_done(self, work: Callable[[], Awaitable[T]], what: str) -> T:
        """Run ``work`` (a cleanup), again after a backoff while the database or the
        storage is unavailable, for up to ``cleanup_patience`` seconds or until the worker
        stops; after that the error goes up (the maintenance sweep finishes the cleanup
        from the file records, which a failed cleanup keeps)."""
        deadline = time.monotonic() + self.cleanup_patience
        delay = 0.1
        while True:
            try:
                return await work()
            except Exception as exc:
                if not (is_store_outage(exc) or isinstance(exc, StorageUnavailable)) or \
                        time.monotonic() + delay > deadline or self.stopping.is_set():
                    raise
                log.info("%s failed (%s); retrying in %.1fs", what,
                         " ".join(str(exc).split())[:200], delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), delay)
            delay = min(delay * 2, 5.0) * random.uniform(0.75, 1.0)

    def _follow_up(self, running: RunningJob, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._follow_ups[task] = running.job.id
        task.add_done_callback(self._follow_up_done)

    @property
    def following(self) -> set[uuid.UUID]:
        """Jobs whose run ended but whose outcome is still being settled."""
        return set(self._follow_ups.values())

    def _follow_up_done(self, task: asyncio.Task[Any]) -> None:
        self._follow_ups.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.warning("after job completion: %s", task.exception())

    async def drain(self) -> None:
        """Wait for the work that follows completions (cleanup, a late cancel or pause)."""
        while self._follow_ups:
            await asyncio.gather(*list(self._follow_ups), return_exceptions=True)

    async def _fail(self, running: RunningJob, why: Classification, exc: BaseException | None,
                    policy: RetryPolicy) -> None:
        if _lost(running):
            return
        job, now = running.job, self.clock.now()
        message, next_retry_at = why.message, None
        if why.error_type is ErrorType.TRANSIENT:
            if job.retry_count < job.max_retries:
                next_retry_at = _policy_for(job, policy).next_retry_at(now, job.retry_count)
            else:
                message = _gave_up(message, job.retry_count)
        details: dict[str, Any] = {"error": {
            "class": f"{type(exc).__module__}.{type(exc).__qualname__}" if exc else None,
            "traceback": "".join(traceback.format_exception(exc)) if exc else None,
            "at": now.isoformat(), "retry_count": job.retry_count}}
        progress = self._progress(running)
        ok = await self._write(lambda: self.store.job_fail(
            job.id, self.worker_id, error_message=message, error_type=why.error_type,
            next_retry_at=next_retry_at, progress=progress, metadata=details, now=now))
        log.info("job %s failed (%s): %s%s", job.id, why.error_type, message,
                 "" if ok else " [not recorded]")
        if not ok:  # a cancel asked for before the failure was written wins
            await self._completion_refused(running)

    async def _interrupted(self, running: RunningJob, reason: Interrupt) -> None:
        if reason is not Interrupt.LOST and _lost(running):
            return
        job, now, progress = running.job, self.clock.now(), self._progress(running)
        if reason is Interrupt.PAUSE:
            await self._write(lambda: self.store.job_pause_at_safe_point(
                job.id, self.worker_id, "Paused at a safe point", progress, now))
        elif reason is Interrupt.SHUTDOWN:
            await self._write(lambda: self.store.job_release(job.id, self.worker_id,
                                                             progress, now))
        elif reason is Interrupt.CANCEL:
            await self.cancel_and_delete(running.job)
        log.info("job %s stopped: %s", job.id, reason)

    async def _release_after_outage(self, running: RunningJob) -> None:
        """The handler failed because the database went away: once it is back, hand the
        job back to the queue (it resumes from its checkpoint, its retries untouched)."""
        progress = self._progress(running)
        released = await self._write(lambda: self.store.job_release(
            running.job.id, self.worker_id, progress, self.clock.now()))
        log.info("job %s handed back after a database outage%s", running.job.id,
                 "" if released else " [lost: not recorded]")

    async def _write(self, write: Callable[[], Awaitable[bool]]) -> bool:
        """Record an outcome, waiting out a database outage for a while; if it lasts
        longer, the job stays ``processing`` and the rescuer hands it back later."""
        try:
            return await self.outage.persist(write, self.patience)
        except OutageGaveUp:
            return False

    async def cancel_and_delete(self, job: Job) -> None:
        if await self._write(lambda: self.store.job_mark_cancelled(job.id, self.worker_id,
                                                                   self.clock.now())):
            await self._until_done(
                lambda: delete_job_files(self.store, self.storage, job.id, keep_final=False),
                f"the deletion of job {job.id}")
            await self._until_done(lambda: self.store.job_delete(job.id, JobStatus.CANCELLED),
                                   f"the deletion of job {job.id}")

    @staticmethod
    def _progress(running: RunningJob) -> dict[str, Any]:
        if running.ctx is None:
            return dict(running.job.progress)
        return running.ctx.progress_snapshot()[1]


def _lost(running: RunningJob) -> bool:
    """The job is no longer this run's (rescued, force-failed, or claimed again by this
    worker while this run lingered): its outcome must not be written."""
    if running.port.interrupt() is Interrupt.LOST:
        log.info("job %s finished after it was lost; outcome not recorded", running.job.id)
        return True
    return False


def _gave_up(message: str, retries: int) -> str:
    """A transient error's message once the retries ran out: it says so, as a sentence."""
    sentence = message if message.endswith((".", "!", "?")) else f"{message}."
    if retries == 0:
        return f"{sentence} Not retried: this job allows no retries."
    plural = "retry" if retries == 1 else "retries"
    return f"{sentence} Gave up after {retries} {plural} (the most allowed)."


def _policy_for(job: Job, policy: RetryPolicy) -> RetryPolicy:
    """Per-job overrides of the type's backoff, from ``metadata.retry_policy``."""
    overrides = (job.metadata or {}).get("retry_policy") or {}
    if not overrides:
        return policy
    return policy.derive(overrides, max_retries=job.max_retries)

"""A cancel or pause requested before a job's completion is written always wins
(issue 12, defect 2): hundreds of requests landing in a job's last moments, after its
last safe point, and not one is dropped."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

from jobdock.admin import JobNotFound
from jobdock.app import Dock
from jobdock.jobs.context import JobContext
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.jobs.registry import default_registry
from jobdock.worker import WorkerSettings
from tests.support.engine import running, wait_for

TRIALS = 500
PARALLEL = 20
TAIL = {"steps": 3, "step_seconds": 0.004, "tail_seconds": 0.03}


@default_registry.job_type("engine_late_tail", label="Test: safe points, then a quiet tail")
def late_tail(ctx: JobContext) -> dict[str, Any]:
    """A few safe points, then a stretch without any: a request arriving there can only
    be honoured by the completion write itself."""
    steps = int(ctx.input["steps"])
    for step in range(steps):
        time.sleep(float(ctx.input["step_seconds"]))
        ctx.safe_point(step + 1, steps)
    time.sleep(float(ctx.input["tail_seconds"]))
    return {"done": True}


async def _started(dock: Dock, job_id: uuid.UUID) -> None:
    async def processing() -> bool:
        job = await dock.store.job_get(job_id)
        return job is not None and job.status is not JobStatus.PENDING
    await wait_for(processing, 30, f"job {job_id} to start")


async def _settled(dock: Dock, job_id: uuid.UUID) -> JobStatus | None:
    """The job's final state: None once it is deleted (a cancelled job is, right after)."""
    async def done() -> bool:
        job = await dock.store.job_get(job_id)
        return job is None or job.status not in (JobStatus.PENDING, JobStatus.PROCESSING,
                                                 JobStatus.CANCELLED)
    await wait_for(done, 30, f"job {job_id} to settle")
    job = await dock.store.job_get(job_id)
    return None if job is None else job.status


async def _late_cancel(dock: Dock, rng: random.Random) -> tuple[bool, bool]:
    """(was the cancel late, i.e. answered "will stop"; was it dropped)."""
    job = await dock.admin.submit(NewJob("engine_late_tail", TAIL))
    await _started(dock, job.id)
    await asyncio.sleep(rng.uniform(0.0, 0.05))  # anywhere in the run, often in the tail
    try:
        answer = await dock.admin.cancel_and_delete_job(job.id)
    except JobNotFound:
        return False, False
    if answer["deleted"]:
        return False, False
    final = await _settled(dock, job.id)
    return True, final is not None


async def _late_pause(dock: Dock, rng: random.Random) -> tuple[bool, bool]:
    job = await dock.admin.submit(NewJob("engine_late_tail", TAIL))
    await _started(dock, job.id)
    await asyncio.sleep(rng.uniform(0.0, 0.05))
    try:
        answered = await dock.admin.pause_job(job.id)
    except Exception:  # already completed: an illegal transition, not a late pause
        return False, False
    if answered.status is not JobStatus.PROCESSING:
        return False, False
    final = await _settled(dock, job.id)
    return True, final is not JobStatus.PAUSED


async def _trials(dock: Dock, trial: Any) -> tuple[int, int]:
    rng = random.Random(12)
    late = dropped = 0
    await dock.start_feed(ui=False)  # Postgres: the worker hears requests by NOTIFY
    worker = dock.worker(WorkerSettings(concurrency=PARALLEL, poll_interval=0.02))
    async with running(worker):
        for _ in range(8 * TRIALS // PARALLEL):  # until TRIALS late requests, within bounds
            if late >= TRIALS:
                break
            for was_late, was_dropped in await asyncio.gather(
                    *(trial(dock, rng) for _ in range(PARALLEL))):
                late += was_late
                dropped += was_dropped
    return late, dropped


async def test_late_cancels_are_never_dropped(dock: Dock) -> None:
    late, dropped = await _trials(dock, _late_cancel)
    print(f"late cancels: {late}, dropped: {dropped}")
    assert late >= TRIALS, f"only {late} cancels landed while the job ran"
    assert dropped == 0, f"{dropped} of {late} late cancels were dropped"


async def test_late_pauses_are_never_dropped(dock: Dock) -> None:
    late, dropped = await _trials(dock, _late_pause)
    print(f"late pauses: {late}, dropped: {dropped}")
    assert late >= TRIALS, f"only {late} pauses landed while the job ran"
    assert dropped == 0, f"{dropped} of {late} late pauses were dropped"


@default_registry.job_type("engine_late_fail", label="Test: fail after a quiet while")
def late_fail(ctx: JobContext) -> None:
    time.sleep(float(ctx.input["seconds"]))
    raise ValueError("failed after the cancel was asked for")


async def test_a_cancel_asked_before_a_failure_is_written_wins(dock: Dock) -> None:
    # The worker hears nothing (no feed, no polls): only the guarded failure write and
    # what follows it can honour the cancel.
    deaf = WorkerSettings(sync_interval=3600, control_interval=3600, poll_interval=0.02,
                          heartbeat_interval=3600, maintenance=False)
    job = await dock.admin.submit(NewJob("engine_late_fail", {"seconds": 0.3}))
    async with running(dock.worker(deaf)):
        await _started(dock, job.id)
        answer = await dock.admin.cancel_and_delete_job(job.id)
        assert answer["deleted"] is False
        assert await _settled(dock, job.id) is None, "the failure overwrote the cancel"

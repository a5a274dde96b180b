"""The worker in-process: runs handlers, records outcomes, drains in burst mode."""

from __future__ import annotations

import asyncio
import threading

import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from jobdock.worker import WorkerSettings

FAST = dict(sync_interval=0.01, poll_interval=0.02, heartbeat_interval=0.05)


async def test_burst_drains_every_job_and_exits(dock: Dock) -> None:
    await dock.admin.submit_many([NewJob("noop") for _ in range(300)])
    staged = await dock.admin.submit(NewJob("staged_sleep", {"stages": 3, "steps_per_stage": 2,
                                                             "step_seconds": 0}))
    worker = dock.worker(WorkerSettings(burst=True, concurrency=10, **FAST))
    await asyncio.wait_for(worker.run(), 60)
    assert await dock.admin.counts() == {**{s.value: 0 for s in JobStatus}, "completed": 301}
    job = await dock.admin.get_job(staged.id)
    assert job.output_data == {"digest": expected_digest(3, 2), "stages": 3, "steps_per_stage": 2}
    assert job.progress["percent"] == 100 and job.completed_at is not None


async def test_sync_handlers_run_concurrently_in_threads(dock: Dock) -> None:
    """N slots means N handlers at once: four blocking handlers meet at a barrier."""
    barrier = threading.Barrier(4, timeout=20)
    seen: list[str] = []

    @dock.registry.job_type("test_barrier")
    def meet(ctx):  # type: ignore[no-untyped-def]
        barrier.wait()
        seen.append(threading.current_thread().name)

    await dock.admin.submit_many([NewJob("test_barrier") for _ in range(4)])
    await asyncio.wait_for(dock.worker(WorkerSettings(burst=True, concurrency=4, **FAST)).run(),
                           30)
    assert len(seen) == 4 and (await dock.admin.counts())["completed"] == 4


async def test_unknown_job_type_fails_permanently_with_a_readable_error(dock: Dock) -> None:
    job = await dock.store.job_insert(NewJob("no_such_type"), dock.clock.now())
    await asyncio.wait_for(dock.worker(WorkerSettings(burst=True, **FAST)).run(), 30)
    failed = await dock.admin.get_job(job.id)
    assert failed.status is JobStatus.FAILED and failed.error_type is ErrorType.PERMANENT
    assert "no_such_type" in failed.error_message and "\n" not in failed.error_message
    assert failed.next_retry_at is None


async def test_handler_exception_is_recorded_without_traceback_in_message(dock: Dock) -> None:
    job = await dock.admin.submit(NewJob("test_fail", {"kind": "value", "message": "bad page"},
                                         max_retries=0))
    await asyncio.wait_for(dock.worker(WorkerSettings(burst=True, **FAST)).run(), 30)
    failed = await dock.admin.get_job(job.id)
    assert failed.status is JobStatus.FAILED and failed.error_message == "bad page"
    assert failed.metadata["error"]["class"] == "builtins.ValueError"
    assert "Traceback" in failed.metadata["error"]["traceback"]


async def test_worker_only_claims_its_types(dock: Dock) -> None:
    await dock.admin.submit_many([NewJob("noop"), NewJob("staged_sleep", {"stages": 1,
                                                                          "step_seconds": 0})])
    await asyncio.wait_for(
        dock.worker(WorkerSettings(burst=True, types=("noop",), **FAST)).run(), 30)
    counts = await dock.admin.counts()
    assert counts["completed"] == 1 and counts["pending"] == 1


async def test_stop_hands_back_running_jobs_as_pending(dock: Dock, tmp_path) -> None:
    started = tmp_path / "started"
    job = await dock.admin.submit(NewJob("test_block", {"started": str(started)}))
    worker = dock.worker(WorkerSettings(shutdown_grace=5, **FAST))
    task = asyncio.create_task(worker.run())
    await _wait_for(lambda: started.exists())
    worker.stop()
    await asyncio.wait_for(task, 30)
    after = await dock.admin.get_job(job.id)
    assert after.status is JobStatus.PENDING and after.worker_id is None


async def _wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail("condition not met before the deadline")
        await asyncio.sleep(0.01)


async def test_burst_waits_for_recorded_completions_before_calling_the_queue_drained(
        dock: Dock) -> None:
    """A dependent becomes due only when its parent's completion is written; the slot is
    freed before that write, so a burst worker must not stop in between (a chain of
    dependents once stopped after its first link)."""
    chains = []
    for _ in range(20):
        first = await dock.admin.submit(NewJob("noop"))
        second = await dock.admin.submit(NewJob("noop", after=(first.id,)))
        chains.append((first.id, second.id))
    worker = dock.worker(WorkerSettings(burst=True, concurrency=1, **FAST))
    await asyncio.wait_for(worker.run(), 60)
    assert await dock.admin.counts() == {**{s.value: 0 for s in JobStatus}, "completed": 40}

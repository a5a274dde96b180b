"""Retention: completed and cancelled jobs older than the configured age are pruned in
batches by the maintenance loop, with their intermediate files; nothing active, failed or
recent is ever pruned."""

from __future__ import annotations

import uuid

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.worker import WorkerSettings
from jobdock.worker.maintenance import Pruner

DAY = 86400.0


async def _finished(dock: Dock, status: JobStatus, files: bool = False) -> uuid.UUID:
    """A job driven to ``status`` on the dock's clock (claimed by a worker ``w``)."""
    claimed = status not in (JobStatus.PENDING, JobStatus.PAUSED)
    # claimed ones first: a claim takes the highest priority (pending ones stay unclaimed)
    job = await dock.admin.submit(NewJob("noop", priority=10 if claimed else 0))
    if status is JobStatus.PAUSED:
        assert (await dock.admin.pause_job(job.id)).status is JobStatus.PAUSED
    if not claimed:
        return job.id
    now = dock.clock.now()
    assert [j.id for j in await dock.store.job_claim("w", 1, None, now)] == [job.id]
    if files:
        for key, final in ((f"jobs/{job.id}/scratch.bin", False),
                           (f"jobs/{job.id}/result.bin", True),
                           (f"documents/ann/{job.id}/result.bin", True)):
            dock.storage.put(key, b"x")
            await dock.store.file_add(job.id, key, final)
    if status is JobStatus.COMPLETED:
        assert await dock.store.job_complete(job.id, "w", None, {}, now)
    elif status is JobStatus.CANCELLED:
        assert await dock.store.job_mark_cancelled(job.id, "w", now)
    elif status is JobStatus.FAILED:
        assert await dock.store.job_force_fail(job.id, "processing", "boom", now)
    return job.id


async def _exists(dock: Dock, job_id: uuid.UUID) -> bool:
    return await dock.store.job_get(job_id) is not None


async def test_old_completed_and_cancelled_jobs_are_pruned_in_batches_and_nothing_else(
        fake_dock: Dock, clock: FakeClock) -> None:
    old_done = await _finished(fake_dock, JobStatus.COMPLETED, files=True)
    old_cancelled = await _finished(fake_dock, JobStatus.CANCELLED, files=True)
    old_failed = await _finished(fake_dock, JobStatus.FAILED)
    old_running = await _finished(fake_dock, JobStatus.PROCESSING)
    old_paused = await _finished(fake_dock, JobStatus.PAUSED)
    old_pending = await _finished(fake_dock, JobStatus.PENDING)
    clock.advance(8 * DAY)
    recent_done = await _finished(fake_dock, JobStatus.COMPLETED)
    clock.advance(DAY)  # the old ones are 9 days old now, the recent one 1 day

    pruner = Pruner(fake_dock.store, fake_dock.storage, clock, max_age=7 * DAY, batch=1)
    assert await pruner.run_once() == 1  # one batch of one
    assert await pruner.run_once() == 0  # throttled: not again within ``every``
    assert await pruner.run_once(force=True) == 1
    assert await pruner.run_once(force=True) == 0

    assert not await _exists(fake_dock, old_done)
    assert not await _exists(fake_dock, old_cancelled)
    for kept in (old_failed, old_running, old_paused, old_pending, recent_done):
        assert await _exists(fake_dock, kept), kept
    # the job's own files (its jobs/{id}/ prefix) go with it; a completed job's final
    # result elsewhere (a document's) stays, as when an admin deletes it
    assert fake_dock.storage.list(f"jobs/{old_done}") == []
    assert fake_dock.storage.exists(f"documents/ann/{old_done}/result.bin")
    assert fake_dock.storage.list(f"jobs/{old_cancelled}") == []
    assert not fake_dock.storage.exists(f"documents/ann/{old_cancelled}/result.bin")
    assert await fake_dock.store.file_list(old_done) == []


async def test_the_maintenance_loop_prunes_by_the_workers_retention_setting(
        fake_dock: Dock, clock: FakeClock) -> None:
    old_done = await _finished(fake_dock, JobStatus.COMPLETED)
    clock.advance(2 * DAY)
    keeping = fake_dock.worker(WorkerSettings(retention=None))
    await keeping.maintain_once()
    assert await _exists(fake_dock, old_done)

    pruning = fake_dock.worker(WorkerSettings(retention=DAY))
    await pruning.maintain_once()
    assert not await _exists(fake_dock, old_done)


async def test_a_job_whose_files_cannot_be_deleted_does_not_stop_the_pruning(
        fake_dock: Dock, clock: FakeClock) -> None:
    """A job whose recorded key the storage refuses made every pruning round raise at it:
    nothing after it in the batch was pruned. It stays (with its records); the rest go."""
    poison = await _finished(fake_dock, JobStatus.COMPLETED)
    await fake_dock.store.file_add(poison, f"jobs/{poison}//x.bin", False)
    others = [await _finished(fake_dock, JobStatus.COMPLETED, files=True) for _ in range(3)]
    clock.advance(9 * DAY)
    pruner = Pruner(fake_dock.store, fake_dock.storage, clock, max_age=7 * DAY)
    assert await pruner.run_once(force=True) == 3
    for job_id in others:
        assert not await _exists(fake_dock, job_id)
        assert fake_dock.storage.list(f"jobs/{job_id}") == []
    assert await _exists(fake_dock, poison)
    assert await fake_dock.store.file_list(poison) == [(f"jobs/{poison}//x.bin", False)]

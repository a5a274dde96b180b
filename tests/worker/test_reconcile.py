"""After the database comes back, a worker hands back the jobs the database says it runs
but it does not (a database crash can lose its last relaxed commits: a completion or a
claim's answer). Without this they sat until their heartbeat expired (30 s by default)."""

from __future__ import annotations

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.store import StoreUnavailable
from jobdock.worker import WorkerSettings


async def test_jobs_lost_in_a_database_crash_are_handed_back_on_reconnect(dock: Dock) -> None:
    worker = dock.worker(WorkerSettings(maintenance=False))
    job = await dock.admin.submit(NewJob("noop"))
    # The state a crash leaves: the row says this worker runs the job; the worker does not.
    claimed = await dock.store.job_claim(worker.worker_id, 1, None, dock.clock.now())
    assert [j.id for j in claimed] == [job.id]

    await worker.heartbeat_once()  # no outage seen: nothing is touched
    row = await dock.store.job_get(job.id)
    assert row is not None and row.status is JobStatus.PROCESSING

    worker.outage.failed(StoreUnavailable("the database is unavailable"))
    worker.outage.recovered()
    await worker.heartbeat_once()
    row = await dock.store.job_get(job.id)
    assert row is not None and row.status is JobStatus.PENDING and row.worker_id is None
    assert row.retry_count == 0

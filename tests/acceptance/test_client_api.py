"""Issue 14, item 12: the Python API does what the CLI and web UI do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import jobdock
from jobdock.admin import InvalidRequest, JobNotFound
from jobdock.app import Dock
from jobdock.jobs.model import JobStatus
from jobdock.jobs.states import IllegalTransition
from jobdock.worker import WorkerSettings
from tests.support.engine import running

QUICK = {"stages": 3, "steps_per_stage": 5, "step_seconds": 0.02}
FAST = WorkerSettings(concurrency=2, poll_interval=0.02, heartbeat_interval=0.2)


async def test_async_client_lists_steers_and_clears(dock: Dock) -> None:
    client = jobdock.AsyncClient(dock)
    a = await client.submit("staged_sleep", QUICK, user_id="ann")
    b = await client.submit("staged_sleep", QUICK, user_id="bob")
    c = await client.submit("noop", user_id="ann")
    assert {j.id for j in await client.list_jobs(user_id="ann")} == {a, c}
    assert [j.id for j in await client.list_jobs(job_type="noop")] == [c]
    assert (await client.pause(a, "lunch")).status is JobStatus.PAUSED
    assert [j.id for j in await client.list_jobs("paused")] == [a]
    assert (await client.resume(a)).status is JobStatus.PENDING
    assert (await client.fail(b)).status is JobStatus.FAILED
    assert (await client.retry(b)).status is JobStatus.PENDING
    with pytest.raises(IllegalTransition):
        await client.resume(b)
    assert (await client.cancel(c))["deleted"] is True
    with pytest.raises(JobNotFound):
        await client.get(c)
    page, cursor = await client.list_page(limit=1)
    assert len(page) == 1 and cursor is not None
    rest = await client.list_jobs(limit=1, after=cursor)
    assert rest and rest[0].id != page[0].id
    assert len([j async for j in client.iter_jobs(limit=1)]) == 2
    await client.fail(a)
    await client.fail(b)
    assert await client.clear(failed=True) == {"failed": 2}
    with pytest.raises(ValueError):
        await client.list_jobs("finished")
    with pytest.raises(InvalidRequest):
        await client.submit("staged_sleep", {"stages": "x"})


async def test_async_client_streams_progress_and_waits(dock: Dock) -> None:
    client = jobdock.AsyncClient(dock)
    job_id = await client.submit("staged_sleep", QUICK)
    async with running(dock.worker(FAST)):
        seen = [job async for job in client.stream(job_id, interval=0.05)]
        done = await client.wait(job_id, timeout=30)
    percents = [job.progress.get("percent") or 0 for job in seen]
    assert seen[-1].status is JobStatus.COMPLETED and done.status is JobStatus.COMPLETED
    assert percents == sorted(percents) and len(seen) >= 3, percents


async def test_wait_times_out_on_a_job_nobody_runs(dock: Dock) -> None:
    client = jobdock.AsyncClient(dock)
    job_id = await client.submit("noop")
    with pytest.raises(TimeoutError):
        await client.wait(job_id, timeout=0.3)


def test_blocking_client_follows_a_job_run_by_a_worker_process(tmp_path: Path) -> None:
    db, storage = f"sqlite:///{tmp_path / 'db.sqlite'}", str(tmp_path / "storage")
    with jobdock.Client(db, storage) as client:
        job_id = client.submit("staged_sleep", QUICK, user_id="ann")
        assert [j.id for j in client.list_jobs(status="pending", user_id="ann")] == [job_id]
        worker = subprocess.Popen([sys.executable, "-m", "jobdock.cli.main", "--database-url",
                                   db, "--storage-url", storage, "worker", "--burst"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            seen = list(client.stream(job_id, interval=0.05))
            assert seen[-1].status is JobStatus.COMPLETED
            assert client.wait(job_id, timeout=30).output_data is not None
        finally:
            worker.wait(timeout=60)
        assert client.clear(completed=True) == {"completed": 1}
        assert list(client.iter_jobs()) == []

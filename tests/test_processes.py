"""End-to-end with real worker processes: exactly-once under concurrency, SIGKILL, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from tests.processes import read_lines, start_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]


def _drain_with(n_workers: int, n_jobs: int, database_url: str, storage: Path,
                log: Path) -> None:
    workers = [start_worker(database_url, storage, "--burst", "--concurrency", "10")
               for _ in range(n_workers)]
    for w in workers:
        assert w.wait(timeout=240) == 0
    lines = read_lines(log)
    starts = Counter(line[1] for line in lines if line[0] == "start")
    ends = Counter(line[1] for line in lines if line[0] == "end")
    assert len(starts) == n_jobs, "a job was lost"
    assert set(starts.values()) == {1} and set(ends.values()) == {1}, "a job ran twice"
    assert len({line[2] for line in lines}) > 1, "only one worker process did any work"


@pytest.mark.postgres
async def test_four_postgres_workers_run_2000_jobs_exactly_once(pg_url: str,
                                                                tmp_path: Path) -> None:
    await _submit_and_drain(pg_url, tmp_path, n_workers=4, n_jobs=2000)


async def test_two_sqlite_workers_run_2000_jobs_exactly_once(sqlite_url: str,
                                                             tmp_path: Path) -> None:
    await _submit_and_drain(sqlite_url, tmp_path, n_workers=2, n_jobs=2000)


async def _submit_and_drain(url: str, tmp_path: Path, n_workers: int, n_jobs: int) -> None:
    from jobdock.settings import Settings

    log = tmp_path / "runs.log"
    dock = await Dock.open(Settings(database_url=url, storage_url=str(tmp_path / "s")))
    try:
        import tests.jobtypes  # noqa: F401

        await dock.admin.submit_many([NewJob("test_record", {"log": str(log), "seconds": 0.001})
                                      for _ in range(n_jobs)])
        await asyncio.to_thread(_drain_with, n_workers, n_jobs, url, tmp_path / "s", log)
        counts = await dock.admin.counts()
        assert counts["completed"] == n_jobs, counts
        assert counts["processing"] == counts["pending"] == 0, counts
    finally:
        await dock.close()


async def test_sigkilled_worker_job_is_rescued_and_completed_by_another(
        dock: Dock, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, storage = settings.resolved_database_url(), tmp_path / "storage"
    started, release = tmp_path / "started", tmp_path / "release"
    job = await dock.admin.submit(NewJob("test_block", {"started": str(started),
                                                        "release": str(release)}))
    first = start_worker(url, storage, "--heartbeat-timeout", "1")
    await asyncio.to_thread(wait_until, started.exists, 60, "the job to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert (await dock.admin.get_job(job.id)).status is JobStatus.PROCESSING
    release.touch()
    second = start_worker(url, storage, "--heartbeat-timeout", "1")
    try:
        async def done() -> bool:
            return (await dock.admin.get_job(job.id)).status is JobStatus.COMPLETED
        deadline = time.monotonic() + 60
        while not await done():
            assert time.monotonic() < deadline, "the rescued job did not complete"
            await asyncio.sleep(0.05)
        finished = await dock.admin.get_job(job.id)
        assert finished.output_data == {"pid": second.pid}
        assert finished.metadata["rescue_count"] == 1
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)


@pytest.mark.parametrize("handler", ["safe_points", "no_safe_points"])
async def test_sigterm_exits_within_grace_and_leaves_nothing_processing(
        dock: Dock, settings, tmp_path: Path, handler: str) -> None:  # type: ignore[no-untyped-def]
    url, storage, started = settings.resolved_database_url(), tmp_path / "storage", \
        tmp_path / "started"
    if handler == "safe_points":
        new = NewJob("test_block", {"started": str(started)})
    else:  # sleeps 60 s without a safe point: must be handed back after the grace period
        new = NewJob("test_record", {"log": str(started), "seconds": 60})
    job = await dock.admin.submit(new)
    worker = start_worker(url, storage, "--grace", "2")
    await asyncio.to_thread(wait_until, started.exists, 60, "the job to start")
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 2 + 10) == 0
    after = await dock.admin.get_job(job.id)
    assert after.status is JobStatus.PENDING and after.worker_id is None

"""Rolling upgrade: a migration adds a column while workers of the previous version run.
Their prepared ``RETURNING *`` statements then fail with "cached plan must not change
result type" (SQLSTATE 0A000); the store must drop those statements and retry, and the
worker go on (found with the multi-host rig, tests/multihost/test_upgrade.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings
from jobdock.worker import WorkerSettings
from tests.support.engine import FAST, wait_for

pytestmark = pytest.mark.postgres


async def _completed(dock: Dock) -> int:
    return (await dock.admin.counts()).get(JobStatus.COMPLETED.value, 0)


async def test_a_worker_survives_a_column_added_under_it(pg_url: str, tmp_path: Path) -> None:
    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    worker = dock.worker(WorkerSettings(**FAST))  # type: ignore[arg-type]
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(10):  # enough runs that every hot statement is prepared
            await dock.admin.submit(NewJob("noop"))
        await wait_for(lambda: _completed_n(dock, 10), what="the first ten jobs")
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE background_jobs ADD COLUMN added_by_upgrade text")
        for _ in range(10):
            await dock.admin.submit(NewJob("noop"))
        await wait_for(lambda: _completed_n(dock, 20) if not task.done() else True,
                       what="the jobs submitted after the migration")
        assert not task.done(), f"the worker exited: {task.exception()!r}"
        assert await _completed(dock) == 20
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        await dock.close()


async def _completed_n(dock: Dock, n: int) -> bool:
    return await _completed(dock) >= n

"""Helpers of the engine tests: a worker running in the background, polling with a
deadline (never a bare sleep), staged_sleep traces, stored files. Their fixtures
(``clock``, ``fake_dock``) are in tests/conftest.py."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

import tests.support.jobtypes_engine  # noqa: F401 - registers the engine test job types
from jobdock.app import Dock
from jobdock.jobs.model import Job, JobStatus
from jobdock.worker import Worker, WorkerSettings

FAST = dict(sync_interval=0.01, poll_interval=0.02, heartbeat_interval=0.05)


async def wait_for(predicate: Callable[[], Awaitable[bool] | bool], timeout: float = 30.0,
                   what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


async def wait_status(dock: Dock, job_id: uuid.UUID, *statuses: JobStatus,
                      timeout: float = 30.0) -> Job:
    async def reached() -> bool:
        job = await dock.store.job_get(job_id)
        return job is not None and job.status in statuses
    await wait_for(reached, timeout, f"job {job_id} to be {'/'.join(statuses)}")
    job = await dock.store.job_get(job_id)
    assert job is not None
    return job


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    """Run a worker's full loop in the background; stop it (gracefully) on exit."""
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)


async def drain(dock: Dock, **settings: object) -> None:
    """Run a burst worker (no maintenance) until nothing due is left."""
    opts = {**FAST, "burst": True, "maintenance": False, **settings}
    await asyncio.wait_for(dock.worker(WorkerSettings(**opts)).run(), 60)  # type: ignore[arg-type]


def trace_lines(path: Path) -> list[tuple[str, int, int, int]]:
    """staged_sleep's trace: (job, stage, step, pid) per executed step, in file order."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        job, stage, step, pid = line.split()
        out.append((job, int(stage), int(step), int(pid)))
    return out


def steps_of(path: Path, job_id: uuid.UUID) -> list[tuple[int, int]]:
    return [(s, k) for j, s, k, _ in trace_lines(path) if j == str(job_id)]


def all_steps(stages: int, steps: int) -> list[tuple[int, int]]:
    return [(s, k) for s in range(stages) for k in range(steps)]


def stored_files(root: Path) -> list[str]:
    """Every file under a storage root (relative keys), temp files included."""
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

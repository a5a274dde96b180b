"""Helpers of the document library tests: source-file makers, draining, final jobs.
The ``sources`` fixture is in tests/conftest.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jobdock.app import Dock
from jobdock.jobs.model import Job, JobStatus
from jobdock.worker import WorkerSettings
from tests.fixtures import make_fixtures

FAST = dict(sync_interval=0.01, poll_interval=0.02, heartbeat_interval=0.05)

MAKERS: dict[str, Callable[[Path], Any]] = {
    "report.pdf": make_fixtures.make_pdf,
    "book.epub": make_fixtures.make_epub,
    "page.html": make_fixtures.make_html,
    "notes.md": make_fixtures.make_markdown,
    "plain.txt": make_fixtures.make_text,
}


async def drain(dock: Dock, **settings: Any) -> None:
    """Run a burst worker until the queue is empty."""
    worker = dock.worker(WorkerSettings(burst=True, concurrency=2, **{**FAST, **settings}))
    await asyncio.wait_for(worker.run(), 240)


async def final_job(dock: Dock, job: Job) -> Job:
    got = await dock.admin.get_job(job.id)
    assert got.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.PAUSED), got.status
    return got

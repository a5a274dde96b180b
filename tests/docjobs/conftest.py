"""Fixtures for the document job tests: generated source files and a document dock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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


@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    out = {}
    for name, make in MAKERS.items():
        make(folder / name)
        out[name] = folder / name
    return out


async def drain(dock: Dock, **settings: Any) -> None:
    """Run a burst worker until the queue is empty."""
    worker = dock.worker(WorkerSettings(burst=True, concurrency=2, **{**FAST, **settings}))
    await asyncio.wait_for(worker.run(), 240)


async def final_job(dock: Dock, job: Job) -> Job:
    got = await dock.admin.get_job(job.id)
    assert got.status in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.PAUSED), got.status
    return got

"""``jobdock jobs watch``: live Rich progress bars fed by the change feed (and a poll); into
a pipe or a file, one plain line per change of status or stage instead."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column
from rich.text import Text

from jobdock.app import Dock
from jobdock.jobs.ids import short_job_id
from jobdock.jobs.model import Job

_DONE = {"completed", "failed", "cancelled"}


def _describe(job: Job) -> str:
    stage = job.progress.get("stage") or ""
    details = job.progress.get("details") or ""
    return f"{short_job_id(job.id)} {job.job_type} [{job.status}] {stage} {details}".strip()


def _plain_line(job: Job) -> str:
    percent = float(job.progress.get("percent") or 0)
    stage = job.progress.get("stage") or ""
    details = job.progress.get("details") or ""
    return (f"{short_job_id(job.id)} {job.job_type} {job.status} {percent:.0f}% {stage} "
            f"{details}").strip()


async def watch_jobs(dock: Dock, job_id: str | None, interval: float) -> None:
    if not Console().is_terminal:
        await _watch_plain(dock, job_id, interval)
        return
    # The description gets the room left by a fixed-width bar, percent and clock, and is
    # cut with an ellipsis rather than squeezing the bar (80-column terminals).
    progress = Progress(
        TextColumn("{task.description}", markup=False,
                   table_column=Column(ratio=1, no_wrap=True, overflow="ellipsis")),
        BarColumn(bar_width=16), TextColumn("{task.percentage:>5.1f}%"), TimeElapsedColumn(),
        expand=True)
    tasks: dict[uuid.UUID, TaskID] = {}
    idle = Text("No active jobs right now; waiting for some (Ctrl-C to stop).", style="dim")
    await dock.start_feed()
    with Live(progress, refresh_per_second=8) as live, contextlib.suppress(KeyboardInterrupt):
        async with dock.bus.subscribe() as events:
            while True:
                jobs = await _current(dock, job_id)
                live.update(progress if jobs or tasks else idle)
                for job in jobs:
                    task = tasks.get(job.id)
                    if task is None:
                        task = tasks[job.id] = progress.add_task(_describe(job), total=100)
                    progress.update(task, completed=job.progress.get("percent") or 0,
                                    description=_describe(job))
                if job_id is not None and jobs and jobs[0].status in _DONE:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(events.get(), interval)


async def _current(dock: Dock, job_id: str | None) -> list[Job]:
    if job_id is None:
        return await dock.admin.active_jobs(limit=100)
    return [await dock.admin.get_job(job_id)]


async def _watch_plain(dock: Dock, job_id: str | None, interval: float) -> None:
    """A line whenever a job's status or stage changes: greppable, nothing redrawn."""
    last: dict[uuid.UUID, tuple[str, str]] = {}
    await dock.start_feed()
    async with dock.bus.subscribe() as events:
        while True:
            jobs = await _current(dock, job_id)
            for job in jobs:
                state = (str(job.status), str(job.progress.get("stage") or ""))
                if last.get(job.id) != state:
                    last[job.id] = state
                    print(_plain_line(job), flush=True)
            if job_id is not None and jobs and jobs[0].status in _DONE:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.get(), interval)

"""Rich renderings of jobs for the terminal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from jobdock.jobs.model import Job

STATUS_STYLE = {"pending": "yellow", "processing": "cyan", "paused": "magenta",
                "completed": "green", "failed": "red", "cancelled": "dim"}


def ago(when: datetime | None) -> str:
    if when is None:
        return "-"
    seconds = (datetime.now(UTC) - when).total_seconds()
    if seconds < 0:
        return f"in {_span(-seconds)}"
    return f"{_span(seconds)} ago"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def status_text(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


def jobs_table(jobs: list[Job]) -> Table:
    table = Table(show_edge=False, header_style="bold")
    table.add_column("id", no_wrap=True, min_width=36)
    for column in ("type", "status", "progress", "stage", "user", "created"):
        table.add_column(column)
    for job in jobs:
        percent = job.progress.get("percent")
        table.add_row(str(job.id), escape(job.job_type), status_text(job.status),
                      f"{percent:.0f}%" if percent is not None else "-",
                      escape(str(job.progress.get("stage") or "-")), escape(job.user_id or "-"),
                      ago(job.created_at))
    return table


def job_detail(job: Job) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows: list[tuple[str, Any]] = [
        ("id", job.id), ("type", job.job_type), ("status", job.status),
        ("user", job.user_id), ("entity", f"{job.entity_type or '-'} {job.entity_id or ''}"),
        ("progress", f"{job.progress.get('percent', 0)}% {job.progress.get('stage', '')} "
                     f"{job.progress.get('details', '')}"),
        ("retries", f"{job.retry_count} of {job.max_retries}"
                    + (f", next {ago(job.next_retry_at)}" if job.next_retry_at else "")),
        ("error", f"[{job.error_type}] {job.error_message}" if job.error_message else None),
        ("checkpoint", f"{job.last_checkpoint_stage} {job.last_checkpoint_path}"
         if job.last_checkpoint_path else None),
        ("paused", f"{ago(job.paused_at)}: {job.pause_reason}" if job.paused_at else None),
        ("resumed", f"{ago(job.resumed_at)} ({job.resume_count}x)" if job.resumed_at else None),
        ("created", ago(job.created_at)), ("started", ago(job.started_at)),
        ("finished", ago(job.completed_at) if job.completed_at else None),
        ("worker", job.worker_id), ("input", job.input_data), ("output", job.output_data),
    ]
    for name, value in rows:
        if value is not None:
            text = escape(str(value))
            table.add_row(name, status_text(text) if name == "status" else text)
    return table

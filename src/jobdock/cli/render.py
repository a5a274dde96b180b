"""Renderings of jobs for the terminal (a table that fits) and for pipes (one job a line)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.markup import escape
from rich.table import Table

from jobdock.jobs.describe import retry_note
from jobdock.jobs.model import Job, JobStatus

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


def _percent(job: Job) -> str:
    percent = 100 if job.status is JobStatus.COMPLETED else job.progress.get("percent")
    return f"{percent:.0f}%" if isinstance(percent, int | float) else "-"


def jobs_table(jobs: list[Job], width: int) -> Table:
    """For a terminal: id and status never cut, type and stage wrap; the user column only
    when someone has one and there is room (at 80 columns there is not)."""
    now = datetime.now(UTC)
    show_user = width >= 100 and any(j.user_id for j in jobs)
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("id", no_wrap=True, min_width=36)
    table.add_column("status", no_wrap=True)
    table.add_column("%", no_wrap=True, justify="right", min_width=4)
    table.add_column("type", overflow="fold", min_width=10, ratio=2)
    table.add_column("stage", overflow="fold", min_width=5, ratio=1)
    if show_user:
        table.add_column("user", overflow="fold", ratio=1)
    table.add_column("age", no_wrap=True, justify="right", min_width=4)
    for job in jobs:
        status = status_text(job.status)
        if (note := retry_note(job, now)) is not None:  # the short form: "retry in 28 s"
            status += f"\n[dim]{escape(note.split(' (')[0].replace('retrying', 'retry'))}[/]"
        row = [str(job.id), status, _percent(job), escape(job.job_type),
               escape(str(job.progress.get("stage") or "-"))]
        if show_user:
            row.append(escape(job.user_id or "-"))
        table.add_row(*row, _span((now - job.created_at).total_seconds()))
    return table


def plain_line(job: Job) -> str:
    """For pipes: tab-separated id, status, percent, type, stage, user, created (ISO)."""
    fields = [str(job.id), job.status.value, _percent(job), job.job_type,
              str(job.progress.get("stage") or "-"), job.user_id or "-",
              job.created_at.isoformat()]
    return "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields)


def as_json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def job_detail(job: Job) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in _detail_rows(job):
        if value is not None:
            text = escape(str(value))
            table.add_row(name, status_text(text) if name == "status" else text)
    return table


def job_detail_text(job: Job) -> str:
    """For pipes: the same rows as plain lines (a value's later lines indented under it),
    without the padding a table adds to every line."""
    lines = []
    for name, value in _detail_rows(job):
        if value is not None:
            first, *rest = str(value).splitlines() or [""]
            lines.append(f"{name:<12}{first}".rstrip())
            lines += [f"{'':<12}{line}".rstrip() for line in rest]
    return "\n".join(lines) + "\n"


def _detail_rows(job: Job) -> list[tuple[str, Any]]:
    now = datetime.now(UTC)
    progress = job.progress
    paused = job.status is JobStatus.PAUSED or (job.pause_requested_at is not None
                                                and job.status is JobStatus.PROCESSING)
    return [
        ("id", job.id), ("type", job.job_type), ("status", job.status),
        ("", retry_note(job, now)),
        ("user", job.user_id), ("entity", " ".join(x for x in (job.entity_type, job.entity_id)
                                                   if x) or None),
        ("progress", f"{_percent(job)} {progress.get('stage') or ''} "
                     f"{progress.get('details') or ''}".strip()),
        ("attempts", f"{job.retry_count + 1} of {job.max_retries + 1}"),
        ("error", f"[{job.error_type}] {job.error_message}" if job.error_message else None),
        ("checkpoint", f"{job.last_checkpoint_stage} {job.last_checkpoint_path}"
         if job.last_checkpoint_path else None),
        ("paused", f"{ago(job.paused_at or job.pause_requested_at)}: {job.pause_reason}"
         if paused else None),
        ("resumed", f"{job.resume_count}x, last {ago(job.resumed_at)}"
         if job.resumed_at else None),
        ("created", ago(job.created_at)), ("started", ago(job.started_at)),
        ("finished", ago(job.completed_at) if job.completed_at else None),
        ("worker", job.worker_id if job.status is JobStatus.PROCESSING else None),
        ("input", as_json_text(job.input_data)),
        ("output", as_json_text(job.output_data) if job.output_data is not None else None),
    ]

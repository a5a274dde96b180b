"""Sentences about a job that the CLI and the web UI both show."""

from __future__ import annotations

from datetime import datetime

from jobdock.jobs.ids import short_job_id
from jobdock.jobs.model import Job, JobStatus


def job_title(job: Job) -> str:
    """The title a job carries (a document's; the one its output found wins, e.g. a PDF's
    own title over the file name), else its entity, else the short id."""
    for source in (job.output_data, job.metadata, job.input_data):
        title = source.get("title") if isinstance(source, dict) else None
        if isinstance(title, str) and title.strip():
            return title.strip()
    if job.entity_type or job.entity_id:
        return f"{job.entity_type or 'entity'} {job.entity_id or ''}".strip()
    return f"job {short_job_id(job.id)}"


def is_retrying(job: Job) -> bool:
    """A failed job the retry scheduler will pick up again (not a failure for good)."""
    return (job.status is JobStatus.FAILED and job.next_retry_at is not None
            and job.retry_count < job.max_retries)


def attempt_of(job: Job) -> tuple[int, int]:
    """(this attempt's number, attempts allowed): the first run is attempt 1 of retries + 1."""
    return job.retry_count + 1, job.max_retries + 1


def retry_note(job: Job, now: datetime) -> str | None:
    """'retrying in 28 s (attempt 2 of 4)' for a job that will be retried, else None."""
    if not is_retrying(job) or job.next_retry_at is None:
        return None
    seconds = (job.next_retry_at - now).total_seconds()
    when = f"in {_span(seconds)}" if seconds >= 1 else "now"
    number, allowed = attempt_of(job)
    return f"retrying {when} (attempt {number + 1} of {allowed})"


def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit}"
    return f"{int(seconds)} s"

"""Keyset pages over the job list: an opaque cursor and a generator over every page."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime

from jobdock.admin.errors import InvalidRequest
from jobdock.admin.service import MAX_PAGE, AdminService
from jobdock.jobs.model import Job
from jobdock.store import JobFilter


def encode_cursor(job: Job, sort: str) -> str:
    moment = job.updated_at if sort == "updated" else job.created_at
    raw = f"{moment.isoformat()}|{job.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, job_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed, uuid.UUID(job_id)
    except (ValueError, UnicodeError):
        raise InvalidRequest("after is not a valid cursor (use next_cursor)") from None


async def job_page(admin: AdminService, f: JobFilter) -> tuple[list[Job], str | None]:
    """One page of ``f.limit`` jobs plus the cursor of the next (None on the last page)."""
    if not 1 <= f.limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
    jobs = await admin.store.job_list(replace(f, limit=f.limit + 1))  # one more: is there a next?
    if len(jobs) <= f.limit:
        return jobs, None
    jobs = jobs[:f.limit]
    return jobs, encode_cursor(jobs[-1], f.sort)


async def iter_jobs(admin: AdminService, f: JobFilter) -> AsyncIterator[Job]:
    """Every job the filter matches, page by page (``f.limit`` is the page size)."""
    while True:
        jobs, cursor = await job_page(admin, f)
        for job in jobs:
            yield job
        if cursor is None:
            return
        f = replace(f, after=decode_cursor(cursor))

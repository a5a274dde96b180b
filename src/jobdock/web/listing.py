"""The job list's query: filters from request parameters, keyset cursors, the stage cache."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from jobdock.admin import AdminService, InvalidRequest, JobFilter
from jobdock.admin.paging import decode_cursor, encode_cursor
from jobdock.jobs.model import Job
from jobdock.web.unstorable import text_problem
from jobdock.web.views import IN_FLIGHT, STATUSES

ACTIVE = "active"  # the pseudo type "Active" in the type filter
PAGE_SIZE = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class ListQuery:
    """The list filters as a person chose them (strings, empty = no filter)."""

    status: str = ""
    type: str = ""
    stage: str = ""
    user: str = ""
    q: str = ""
    sort: str = "created"
    limit: int = PAGE_SIZE
    after: str = ""

    def params(self, **changes: str) -> dict[str, str]:
        """Non-empty parameters (with changes), for links and the refresh URL."""
        values = {**self.__dict__, **changes}
        values["limit"] = "" if values["limit"] == PAGE_SIZE else str(values["limit"])
        values["sort"] = "" if values["sort"] == "created" else values["sort"]
        return {k: str(v) for k, v in values.items() if v}

    def url(self, path: str, **changes: str) -> str:
        query = urlencode(self.params(**changes))
        return f"{path}?{query}" if query else path


def check_text(name: str, value: str, max_len: int = 200) -> str:
    """Reject what no database accepts in a text parameter (NUL, lone surrogates)."""
    if len(value) > max_len:
        raise InvalidRequest(f"{name} is longer than {max_len} characters")
    problem = text_problem(value)
    if problem is not None:
        raise InvalidRequest(f"{name} {problem}")
    return value.strip()


def to_filter(query: ListQuery, user_scope: str | None = None) -> JobFilter:
    if query.status and query.status not in STATUSES:
        raise InvalidRequest(f"unknown status {query.status!r} (known: {', '.join(STATUSES)})")
    if not 1 <= query.limit <= MAX_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if query.sort not in ("created", "updated"):
        raise InvalidRequest("sort must be 'created' or 'updated'")
    statuses: tuple[str, ...] | None = (query.status,) if query.status else None
    job_type = None
    if query.type == ACTIVE:
        statuses = tuple(s for s in IN_FLIGHT if not statuses or s in statuses) or ("none",)
    elif query.type:
        job_type = check_text("type", query.type)
    return JobFilter(
        statuses=statuses, job_type=job_type, stage=check_text("stage", query.stage) or None,
        user_id=user_scope or check_text("user", query.user) or None,
        text=check_text("q", query.q) or None, sort=query.sort, limit=query.limit,
        after=decode_cursor(query.after) if query.after else None)


async def fetch_page(admin: AdminService, query: ListQuery,
                     user_scope: str | None = None) -> tuple[list[Job], str | None]:
    """One page plus the cursor of the next (None on the last page)."""
    f = to_filter(query, user_scope)
    jobs = await admin.list_jobs(replace(f, limit=f.limit + 1))
    if len(jobs) <= f.limit:
        return jobs, None
    jobs = jobs[:f.limit]
    return jobs, encode_cursor(jobs[-1], f.sort)


class StageCache:
    """The distinct stages, refreshed at most every ``ttl`` seconds (a scan on big tables)."""

    def __init__(self, ttl: float = 30.0) -> None:
        self.ttl = ttl
        self._value: list[str] = []
        self._at = float("-inf")

    async def get(self, admin: AdminService) -> list[str]:
        if time.monotonic() - self._at > self.ttl:
            self._value = await admin.stages()
            self._at = time.monotonic()
        return self._value

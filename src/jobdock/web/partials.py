"""htmx partials: the processing dock, the job table, the status counts, a job's detail.

Pages include the same templates; the live parts re-fetch these on each SSE ``change``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from jobdock.admin import AdminService, JobFilter, JobNotFound
from jobdock.web.context import admin_of, parse_id, render
from jobdock.web.listing import ListQuery, fetch_page
from jobdock.web.views import IN_FLIGHT, stage_timeline

router = APIRouter(prefix="/partials", include_in_schema=False)

DOCK_ROWS = 20


async def dock_context(admin: AdminService) -> dict[str, Any]:
    """In-flight jobs (pending, processing, paused), oldest first, and how many there are."""
    jobs = await admin.list_jobs(JobFilter(statuses=IN_FLIGHT, limit=DOCK_ROWS + 1))
    total = len(jobs)
    if total > DOCK_ROWS:
        counts = await admin.counts()
        total = sum(counts[s] for s in IN_FLIGHT)
    return {"dock_jobs": list(reversed(jobs[:DOCK_ROWS])), "dock_total": total}


async def table_context(request: Request, query: ListQuery) -> dict[str, Any]:
    jobs, cursor = await fetch_page(admin_of(request), query)
    return {"jobs": jobs, "query": query, "next_cursor": cursor}


async def filter_context(request: Request) -> dict[str, Any]:
    admin = admin_of(request)
    return {"job_types": request.app.state.dock.registry.all(),
            "stages": await request.app.state.stages.get(admin)}


async def detail_context(request: Request, job_id: str) -> dict[str, Any]:
    admin = admin_of(request)
    job = await admin.get_job(parse_id(job_id))
    return {"job": job, "timeline": stage_timeline(job, request.app.state.dock.registry),
            "dependencies": await admin.dependencies(job.id)}


def list_query(status: str = "", type: str = "", stage: str = "", user: str = "", q: str = "",
               sort: str = "created", limit: int = 50, after: str = "") -> ListQuery:
    """The list filters from query parameters (shared by the page, the partial and the API)."""
    return ListQuery(status, type, stage, user, q, sort, limit, after)


@router.get("/dock")
async def dock(request: Request) -> Response:
    return render(request, "_dock.html", await dock_context(admin_of(request)))


@router.get("/counts")
async def counts(request: Request) -> Response:
    return render(request, "_counts.html", {"counts": await admin_of(request).counts()})


@router.get("/jobs")
async def job_table(request: Request, query: ListQuery = Depends(list_query)) -> Response:
    headers = {}
    if request.headers.get("hx-trigger") in ("filters", "pager"):
        headers["HX-Push-Url"] = query.url("/jobs")
    return render(request, "_job_table.html", await table_context(request, query),
                  headers=headers)


@router.get("/job/{job_id}")
async def job_detail(request: Request, job_id: str) -> Response:
    try:
        context = await detail_context(request, job_id)
    except JobNotFound:
        context = {"job": None, "job_id": job_id}
    return render(request, "_job_detail.html", context)

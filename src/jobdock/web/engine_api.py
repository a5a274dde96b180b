"""JSON API for the engine features: schedules, limits, workers, bulk actions; /metrics,
/healthz."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from jobdock.admin import JobFilter, StoreUnavailable
from jobdock.web.api import ERRORS, check_json
from jobdock.web.context import admin_of, dock_of
from jobdock.web.listing import check_text

router = APIRouter(prefix="/api", tags=["engine"], responses=ERRORS)
metrics_router = APIRouter(include_in_schema=True, tags=["engine"])


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    job_type: str = Field(max_length=100)
    cron: str | None = Field(default=None, max_length=200, examples=["0 */6 * * *"])
    every_seconds: float | None = Field(default=None, gt=0, le=10 * 366 * 86400,
                                        examples=[21600])
    timezone: str = Field(default="UTC", max_length=64)
    input_data: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Field(default=None, max_length=200)
    queue: str | None = Field(default=None, max_length=100)
    priority: int = Field(default=0, ge=-1000, le=1000)


@router.get("/schedules", summary="Periodic schedules with their next run")
async def schedules(request: Request) -> list[dict[str, Any]]:
    return [jsonable(r) for r in await admin_of(request).schedule_list()]


@router.post("/schedules", status_code=201, summary="Add or replace a schedule")
async def add_schedule(request: Request, body: ScheduleIn) -> dict[str, Any]:
    admin = admin_of(request)
    for name in ("name", "job_type", "cron", "timezone", "user_id", "queue"):
        check_text(name, getattr(body, name) or "")
    check_json(body.input_data)
    every = timedelta(seconds=body.every_seconds) if body.every_seconds else None
    schedule = admin.schedule_from(body.name, body.job_type, cron=body.cron, every=every,
                                   timezone=body.timezone, input_data=body.input_data,
                                   user_id=body.user_id, queue=body.queue,
                                   priority=body.priority)
    return jsonable(await admin.schedule_add(schedule))


@router.post("/schedules/{name}/{action}", summary="Pause, resume or remove a schedule")
async def schedule_action(request: Request, name: str,
                          action: Literal["pause", "resume", "remove"]) -> dict[str, Any]:
    check_text("name", name)
    admin = admin_of(request)
    if action == "remove":
        await admin.schedule_remove(name)
        return {"name": name, "removed": True}
    row = await (admin.schedule_pause(name) if action == "pause" else admin.schedule_resume(name))
    return jsonable(row)


class LimitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["type", "queue"]
    name: str = Field(min_length=1, max_length=100)
    max_running: int | None = Field(default=None, ge=0, le=100_000)
    fair: bool = False


@router.get("/limits", summary="Concurrency limits and fair queues")
async def limits(request: Request) -> list[dict[str, Any]]:
    return [jsonable(r) for r in await admin_of(request).limit_list()]


@router.put("/limits", summary="Set a limit on a job type or a queue")
async def set_limit(request: Request, body: LimitIn) -> dict[str, Any]:
    check_text("name", body.name)
    return jsonable(await admin_of(request).limit_set(body.kind, body.name, body.max_running,
                                                      body.fair))


@router.get("/workers", summary="Live workers")
async def workers(request: Request) -> list[dict[str, Any]]:
    return [jsonable(r) for r in await admin_of(request).workers()]


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "cancel", "retry"]
    status: list[str] | None = Field(default=None, max_length=6)
    job_type: str | None = Field(default=None, max_length=100)
    user_id: str | None = Field(default=None, max_length=200)
    stage: str | None = Field(default=None, max_length=200)
    q: str | None = Field(default=None, max_length=200)


@router.post("/jobs/bulk", summary="Pause, resume, cancel or retry every job a filter selects")
async def bulk(request: Request, body: BulkIn) -> dict[str, Any]:
    for name in ("job_type", "user_id", "stage", "q"):
        check_text(name, getattr(body, name) or "")
    for status in body.status or ():
        check_text("status", status, max_len=20)
    f = JobFilter(statuses=tuple(body.status) if body.status else None, job_type=body.job_type,
                  user_id=body.user_id, stage=body.stage, text=body.q)
    return await admin_of(request).bulk(body.action, f)


@metrics_router.get("/healthz", summary="Health: does the database answer? (no token needed)")
async def healthz(request: Request) -> JSONResponse:
    """For load balancers and container health checks (open without the admin token):
    200 while the database answers a cheap read (the job counts), 503 with the reason
    while it does not."""
    try:
        await admin_of(request).counts()
    except StoreUnavailable as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@metrics_router.get("/metrics", summary="Prometheus metrics (text format)")
async def metrics(request: Request) -> Response:
    from jobdock.web.metrics import CONTENT_TYPE, render_metrics

    return Response(await render_metrics(dock_of(request)), media_type=CONTENT_TYPE)

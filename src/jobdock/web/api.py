"""The JSON API under /api (OpenAPI at /docs and /openapi.json).

Errors are ``{"detail": message}``: 404 unknown id, 409 illegal transition, 422 bad input.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from jobdock.admin import InvalidRequest
from jobdock.jobs.inputs import input_template
from jobdock.jobs.model import DEFAULT_MAX_RETRIES, NewJob
from jobdock.web.context import admin_of, dock_of, parse_id
from jobdock.web.listing import MAX_LIMIT, PAGE_SIZE, ListQuery, check_text, fetch_page


class ErrorOut(BaseModel):
    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in ((401, "Missing or wrong admin token"), (403, "Cross-origin request"),
                       (404, "Unknown job id"), (409, "Illegal transition"),
                       (422, "Bad input"))
}

router = APIRouter(prefix="/api", tags=["jobs"], responses=ERRORS)

Name = Field(default=None, max_length=200)


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_type: str = Field(max_length=100, examples=["staged_sleep"])
    input_data: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Name
    entity_type: str | None = Name
    entity_id: str | None = Name
    priority: int = Field(default=0, ge=-1000, le=1000)
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=100)
    metadata: dict[str, Any] = Field(default_factory=dict)


class JobPage(BaseModel):
    jobs: list[dict[str, Any]]
    next_cursor: str | None


class JobTypeOut(BaseModel):
    name: str
    label: str
    stages: list[str]
    description: str
    input_schema: dict[str, Any] | None = Field(
        None, description="JSON Schema of the input (null: any object is accepted)")
    input_template: dict[str, Any] | None = None


def check_json(value: Any, where: str = "input_data", depth: int = 0) -> None:
    """Refuse what a database cannot store: NUL characters, lone surrogates, deep nesting."""
    if depth > 50:
        raise InvalidRequest(f"{where} is nested too deeply")
    if isinstance(value, str):
        check_text(where, value, max_len=1_000_000)
    elif isinstance(value, dict):
        for key, item in value.items():
            check_json(key, where, depth + 1)
            check_json(item, where, depth + 1)
    elif isinstance(value, list):
        for item in value:
            check_json(item, where, depth + 1)
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise InvalidRequest(f"{where} holds an integer too large to store")


def new_job(body: SubmitIn) -> NewJob:
    for name in ("job_type", "user_id", "entity_type", "entity_id"):
        check_text(name, getattr(body, name) or "")
    check_json(body.input_data)
    check_json(body.metadata, "metadata")
    return NewJob(job_type=body.job_type.strip(), input_data=body.input_data,
                  user_id=body.user_id, entity_type=body.entity_type,
                  entity_id=body.entity_id, priority=body.priority,
                  max_retries=body.max_retries, metadata=body.metadata)


@router.get("/jobs", response_model=JobPage, summary="List jobs (keyset pages)")
async def list_jobs(
    request: Request,
    status: str = Query("", max_length=20, description="pending, processing, paused, ..."),
    type: str = Query("", max_length=100, description="a job type, or 'active'"),
    stage: str = Query("", max_length=200),
    user: str = Query("", max_length=200),
    q: str = Query("", max_length=200, description="text search"),
    sort: Literal["created", "updated"] = "created",
    limit: int = Query(PAGE_SIZE, ge=1, le=MAX_LIMIT),
    after: str = Query("", max_length=200, description="next_cursor of the previous page"),
) -> JobPage:
    query = ListQuery(status, type, stage, user, q, sort, limit, after)
    jobs, cursor = await fetch_page(admin_of(request), query)
    return JobPage(jobs=[j.to_dict() for j in jobs], next_cursor=cursor)


@router.post("/jobs", status_code=201, summary="Submit a job")
async def submit(request: Request, body: SubmitIn) -> dict[str, Any]:
    return (await admin_of(request).submit(new_job(body))).to_dict()


@router.post("/jobs/clear", summary="Delete all completed (or failed) jobs")
async def clear(request: Request,
                status: Literal["completed", "failed"] = Query(...)) -> dict[str, Any]:
    admin = admin_of(request)
    cleared = await (admin.clear_completed_jobs() if status == "completed"
                     else admin.clear_failed_jobs())
    return {"status": status, "cleared": cleared}


@router.get("/jobs/{job_id}", summary="One job")
async def get_job(request: Request, job_id: str) -> dict[str, Any]:
    return (await admin_of(request).get_job(parse_id(job_id))).to_dict()


@router.post("/jobs/{job_id}/pause", summary="Pause (pending at once, processing at its "
                                               "next safe point)")
async def pause(request: Request, job_id: str,
                reason: str = Query("", max_length=200)) -> dict[str, Any]:
    reason = check_text("reason", reason) or "Paused from the API"
    return (await admin_of(request).pause_job(parse_id(job_id), reason)).to_dict()


@router.post("/jobs/{job_id}/resume", summary="Resume a paused job from its checkpoint")
async def resume(request: Request, job_id: str) -> dict[str, Any]:
    return (await admin_of(request).resume_job(parse_id(job_id))).to_dict()


@router.post("/jobs/{job_id}/retry", summary="Retry a failed or cancelled job")
async def retry(request: Request, job_id: str) -> dict[str, Any]:
    return (await admin_of(request).retry_job(parse_id(job_id))).to_dict()


@router.post("/jobs/{job_id}/fail", summary="Force a job that has not finished to fail")
async def fail(request: Request, job_id: str) -> dict[str, Any]:
    return (await admin_of(request).force_fail_job(parse_id(job_id))).to_dict()


@router.post("/jobs/{job_id}/cancel", summary="Cancel and delete a job and its files")
async def cancel(request: Request, job_id: str) -> dict[str, Any]:
    return await admin_of(request).cancel_and_delete_job(parse_id(job_id))


@router.get("/counts", summary="Jobs per status")
async def counts(request: Request) -> dict[str, int]:
    return await admin_of(request).counts()


@router.get("/job-types", response_model=list[JobTypeOut], summary="Registered job types")
async def job_types(request: Request) -> list[JobTypeOut]:
    return [JobTypeOut(name=t.name, label=t.label, stages=[s.name for s in t.stages],
                       description=t.description,
                       input_schema=t.input_model.model_json_schema() if t.input_model else None,
                       input_template=input_template(t.input_model) if t.input_model else None)
            for t in dock_of(request).registry.all()]

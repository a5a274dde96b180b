"""Full pages (jobs tab, job detail, submit) and the form actions behind their buttons.

Actions are POST only. An htmx request gets 204 plus an ``HX-Trigger`` (the live parts
refresh); a plain form post gets a redirect. Destructive actions without htmx's
confirmation dialog first show a confirmation page.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from jobdock.admin import AdminService, InvalidRequest
from jobdock.jobs.inputs import input_fields, input_template
from jobdock.jobs.states import ACTIONS
from jobdock.web.api import SubmitIn, new_job
from jobdock.web.context import admin_of, parse_id, render
from jobdock.web.listing import ListQuery
from jobdock.web.partials import detail_context, filter_context, list_query, table_context

router = APIRouter(include_in_schema=False)

# Confirmation questions: the job actions' (from the action table) and the list's clears.
DESTRUCTIVE = {**{verb: a.confirm for verb, a in ACTIONS.items() if a.confirm},
               "clear-completed": "Delete all completed jobs?",
               "clear-failed": "Delete all failed jobs?"}


@router.get("/")
@router.get("/jobs")
async def jobs_page(request: Request, query: ListQuery = Depends(list_query)) -> Response:
    # independent reads, concurrently (a connection pool on Postgres)
    table, filters, counts = await asyncio.gather(
        table_context(request, query), filter_context(request), admin_of(request).counts())
    return render(request, "jobs.html", {**table, **filters, "counts": counts, "page": "jobs"})


@router.get("/jobs/{job_id}")
async def job_page(request: Request, job_id: str) -> Response:
    return render(request, "job.html", {**await detail_context(request, job_id),
                                        "page": "jobs"})


@router.get("/submit")
async def submit_page(request: Request) -> Response:
    return render(request, "submit.html", submit_context(request, {}))


def submit_context(request: Request, form: dict[str, Any], error: str = "") -> dict[str, Any]:
    job_types = request.app.state.dock.registry.all()
    templates = {t.name: json.dumps(input_template(t.input_model), indent=2)
                 for t in job_types if t.input_model}
    names = [t.name for t in job_types]
    wanted = form.get("job_type") or request.query_params.get("type", "")
    selected = wanted if wanted in names else ("staged_sleep" if "staged_sleep" in names
                                               else (names[0] if names else ""))
    return {"job_types": job_types, "form": form, "error": error, "page": "submit",
            "templates": templates, "selected_type": selected, "input_fields": input_fields}


@router.post("/submit")
async def submit(request: Request, job_type: str = Form(""), input_json: str = Form("{}"),
                 user_id: str = Form(""), entity_type: str = Form(""),
                 entity_id: str = Form(""), priority: int = Form(0),
                 max_retries: int = Form(3)) -> Response:
    form = {"job_type": job_type, "input_json": input_json, "user_id": user_id,
            "entity_type": entity_type, "entity_id": entity_id, "priority": priority,
            "max_retries": max_retries}
    try:
        body = SubmitIn(job_type=job_type, input_data=parse_input(input_json),
                        user_id=user_id or None, entity_type=entity_type or None,
                        entity_id=entity_id or None, priority=priority,
                        max_retries=max_retries)
        job = await admin_of(request).submit(new_job(body))
    except (InvalidRequest, ValueError) as exc:
        return render(request, "submit.html", submit_context(request, form, one_line(exc)),
                      status_code=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def parse_input(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"input is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise InvalidRequest("input must be a JSON object, like {\"stages\": 4}")
    return value


def one_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


NOTICES = {"resume": "Resumed.", "retry": "Queued again; it resumes from its last checkpoint.",
           "fail": "Marked failed."}


async def perform(admin: AdminService, action: str, job_id: str) -> str:
    """Run one admin action; return what to tell the person."""
    parsed = parse_id(job_id)
    if action == "pause":
        job = await admin.pause_job(parsed, "Paused from the web UI")
        return "Paused." if job.status == "paused" else "Pausing at the next safe point…"
    if action in NOTICES:
        await admin.apply(action, parsed)
        return NOTICES[action]
    if action == "cancel":
        result = await admin.cancel_and_delete_job(parsed)
        return "Deleted." if result["deleted"] else "Cancelling at the next safe point…"
    raise InvalidRequest(f"unknown action {action!r}")


def needs_confirmation(action: str, confirmed: str) -> bool:
    return action in DESTRUCTIVE and confirmed != "1"


def done(request: Request, notice: str, redirect: str, leave: str | None = None) -> Response:
    """htmx: 204 + events (or leave ``leave``, a page that no longer exists); else redirect."""
    if "hx-request" not in request.headers:
        return RedirectResponse(redirect, status_code=303)
    headers = {"HX-Trigger": json.dumps({"jobs-changed": True, "notice": notice})}
    if leave and request.headers.get("hx-current-url", "").split("?")[0].endswith(leave):
        headers["HX-Redirect"] = redirect
    return Response(status_code=204, headers=headers)


@router.post("/jobs/clear")
async def clear(request: Request, status: str = Form(""), confirmed: str = Form("")) -> Response:
    action = f"clear-{status}"
    if status not in ("completed", "failed"):
        raise InvalidRequest("status must be 'completed' or 'failed'")
    if needs_confirmation(action, confirmed):
        return confirm_page(request, DESTRUCTIVE[action], "/jobs/clear", {"status": status})
    admin = admin_of(request)
    cleared = await (admin.clear_completed_jobs() if status == "completed"
                     else admin.clear_failed_jobs())
    return done(request, f"Cleared {cleared} {status} job{'s' if cleared != 1 else ''}.",
                "/jobs")


@router.post("/jobs/{job_id}/{action}")
async def job_action(request: Request, job_id: str, action: str,
                     confirmed: str = Form("")) -> Response:
    if action not in ACTIONS:
        raise InvalidRequest(f"unknown action {action!r}")
    if needs_confirmation(action, confirmed):
        return confirm_page(request, DESTRUCTIVE[action], f"/jobs/{job_id}/{action}", {})
    notice = await perform(admin_of(request), action, job_id)
    if action == "cancel":
        return done(request, notice, "/jobs", leave=f"/jobs/{job_id}")
    return done(request, notice, f"/jobs/{job_id}")


def confirm_page(request: Request, question: str, action: str,
                 fields: dict[str, str]) -> Response:
    return render(request, "confirm.html", {"question": question, "action": action,
                                            "fields": fields})

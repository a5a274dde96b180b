"""Pages for the engine features: schedules, workers (with limits), bulk job actions."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from jobdock.admin import InvalidRequest
from jobdock.jobs.periodic import BadSchedule, parse_every, schedule_of
from jobdock.web.context import admin_of, render
from jobdock.web.listing import ListQuery, check_text, to_filter
from jobdock.web.pages import done, parse_input

router = APIRouter(include_in_schema=False)


@router.get("/schedules")
async def schedules_page(request: Request, error: str = "") -> Response:
    rows = await admin_of(request).schedule_list()
    for row in rows:
        row["spec"] = schedule_of(row).spec
    return render(request, "schedules.html", {
        "schedules": rows, "job_types": request.app.state.dock.registry.all(),
        "error": error, "page": "schedules"})


@router.post("/schedules")
async def add_schedule(request: Request, name: str = Form(""), job_type: str = Form(""),
                       when: str = Form(""), timezone: str = Form("UTC"),
                       input_json: str = Form("{}"), user_id: str = Form("")) -> Response:
    """``when`` is a cron expression or an interval (``6h``)."""
    admin = admin_of(request)
    try:
        for field, value in (("name", name), ("job_type", job_type), ("when", when),
                             ("timezone", timezone), ("user_id", user_id)):
            check_text(field, value)
        every: timedelta | None = None
        cron: str | None = when.strip()
        if cron and cron[0].isdigit() and " " not in cron:
            every, cron = parse_every(cron), None
        schedule = admin.schedule_from(name.strip(), job_type, cron=cron, every=every,
                                       timezone=timezone.strip() or "UTC",
                                       input_data=parse_input(input_json),
                                       user_id=user_id.strip() or None)
        await admin.schedule_add(schedule)
    except (InvalidRequest, BadSchedule) as exc:
        return await schedules_page(request, str(exc))
    return done(request, f"Schedule {name} saved.", "/schedules")


@router.post("/schedules/{name}/{action}")
async def schedule_action(request: Request, name: str, action: str) -> Response:
    check_text("name", name)
    admin = admin_of(request)
    if action == "pause":
        await admin.schedule_pause(name)
    elif action == "resume":
        await admin.schedule_resume(name)
    elif action == "remove":
        await admin.schedule_remove(name)
    else:
        raise InvalidRequest(f"unknown action {action!r}")
    return done(request, f"Schedule {name}: {action}d.", "/schedules")


@router.get("/workers")
async def workers_page(request: Request) -> Response:
    admin = admin_of(request)
    workers, limits = await asyncio.gather(admin.workers(), admin.limit_list())
    return render(request, "workers.html", {"workers": workers, "limits": limits,
                                            "page": "workers"})


@router.post("/jobs/bulk")
async def bulk(request: Request, action: str = Form(""), status: str = Form(""),
               type: str = Form(""), stage: str = Form(""), user: str = Form(""),
               q: str = Form("")) -> Response:
    f = to_filter(ListQuery(status, type, stage, user, q))
    result = await admin_of(request).bulk(action, f)
    notice = (f"{action.capitalize()}: {result['done']} of {result['matched']} matching "
              f"job(s); {result['skipped']} skipped (not applicable).")
    return done(request, notice, "/jobs")

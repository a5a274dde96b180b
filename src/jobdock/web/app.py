"""``create_app``: the FastAPI application around an open :class:`~jobdock.app.Dock`."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from fastapi_offline import FastAPIOffline

from jobdock.app import Dock, Extension, Worker, WorkerSettings
from jobdock.jobs.describe import retry_note
from jobdock.jobs.ids import short_job_id
from jobdock.jobs.registry import Registry
from jobdock.web import api, auth, engine_api, engine_pages, errors, pages, partials, sse, views
from jobdock.web.listing import StageCache
from jobdock.web.sessions import Sessions
from jobdock.web.unstorable import RefuseUnstorableText

HERE = Path(__file__).parent
log = logging.getLogger("jobdock.web")


def make_templates(registry: Registry, extensions: list[Extension] | None = None
                   ) -> Jinja2Templates:
    """Jinja2 with autoescape on (the default for .html): data is never marked safe.

    Extensions' template folders come after the engine's; their nav entries and submit
    panels are globals the engine's templates render."""
    extensions = extensions or []
    folders = [str(HERE / "templates"),
               *(str(e.templates) for e in extensions if e.templates is not None)]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folders), autoescape=True)
    templates = Jinja2Templates(env=env)
    env.globals["extension_nav"] = [entry for e in extensions for entry in e.nav]
    env.globals["submit_panels"] = [panel for e in extensions for panel in e.submit_panels]
    env.globals["type_label"] = functools.partial(views.type_label, registry)
    env.filters.update(ago=views.ago, clock=views.clock, pretty_json=views.pretty_json,
                       short_id=short_job_id,
                       ago_iso=lambda value: views.ago(views.parse_time(value)))
    env.globals.update(job_title=views.job_title, is_fresh=views.is_fresh,
                       percent=views.percent, actions_for=views.actions_for,
                       retry_note=lambda job: retry_note(job, datetime.now(UTC)),
                       statuses=views.STATUSES)
    return templates


async def keep_running(worker: Worker) -> None:
    """The in-process worker never dies silently: an unexpected error is logged and the
    loop starts again (database outages do not even get here; the worker waits them out)."""
    while True:
        try:
            await worker.run()
            return
        except Exception:
            if worker.stop_requested:
                return
            log.exception("the in-process worker failed; restarting it")
            worker.reset()
            await asyncio.sleep(1.0)


def create_app(dock: Dock, *, admin_token: str | None = None, run_worker: bool = False,
               worker_settings: WorkerSettings | None = None,
               allowed_hosts: Iterable[str] | None = None) -> FastAPI:
    """The web admin; its lifespan starts the change feed and, if asked, a worker.

    ``allowed_hosts``: the Host names served (default: the loopback names; ``"*"``: any).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await dock.start_feed()
        worker = dock.worker(worker_settings) if run_worker else None
        task = asyncio.create_task(keep_running(worker)) if worker else None
        try:
            yield
        finally:
            if worker is not None and task is not None:
                worker.stop()
                await task

    # /docs serves Swagger UI's assets from the fastapi-offline package (no CDN), under
    # /static/ so they load before a login like the rest of the static files.
    app = FastAPIOffline(title="jobdock", version="0.1.0", lifespan=lifespan,
                         static_url="/static/api-docs",
                         description="Watch, pause, resume, retry and cancel background jobs.")
    app.state.dock = dock
    app.state.admin_token = admin_token
    app.state.templates = make_templates(dock.registry, dock.extensions)
    app.state.stages = StageCache()
    app.state.sessions = Sessions()
    app.add_middleware(RefuseUnstorableText)
    app.add_middleware(auth.AccessMiddleware, token=admin_token, sessions=app.state.sessions,
                       hosts=auth.allowed_hosts(allowed_hosts))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    for module in (auth, engine_api, api, sse, partials, engine_pages, pages):
        app.include_router(module.router)
    for extension in dock.extensions:
        if extension.router is not None:
            app.include_router(extension.router())
    app.include_router(engine_api.metrics_router)
    errors.install(app)
    return app

"""Web fixtures: a Dock on SQLite or Postgres, an in-process HTTP client, a live server.

The Postgres fixture makes its own schema (named ``web_…``) so it never clashes with the
suite-wide ``pg_url``; it skips when no server answers, except under CI=true.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest
import uvicorn

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.web.app import create_app
from jobdock.worker import WorkerSettings

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() == "true"
FAST_WORKER = WorkerSettings(sync_interval=0.05, poll_interval=0.05, heartbeat_interval=1.0,
                             shutdown_grace=2.0)


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(PG_BASE, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


@pytest.fixture
def web_pg_url() -> Iterator[str]:
    """A fresh Postgres schema in database ``test``, dropped afterwards."""
    problem = _postgres_problem()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"Postgres is required under CI=true: {problem}")
        pytest.skip(f"Postgres unreachable: {problem}")
    schema = f"web_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_BASE}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def settings_for(url: str, tmp: Path, token: str | None = None) -> Settings:
    return Settings(database_url=url, storage_url=str(tmp / "storage"), home=tmp / "home",
                    admin_token=token)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def web_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path)
    return settings_for(request.getfixturevalue("web_pg_url"), tmp_path)


@pytest.fixture
async def web_dock(web_settings: Settings) -> AsyncIterator[Dock]:
    dock = await Dock.open(web_settings)
    try:
        yield dock
    finally:
        await dock.close()


async def open_client(dock: Dock, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dock, admin_token=token, allowed_hosts=["testserver"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


@pytest.fixture
async def client(web_dock: Dock) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process (no worker): for API and page tests."""
    async for c in open_client(web_dock):
        yield c


@dataclass
class LiveServer:
    url: str
    thread: threading.Thread
    server: uvicorn.Server
    settings: Settings

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def start_live_server(settings: Settings, worker: WorkerSettings | None = FAST_WORKER
                      ) -> LiveServer:
    """A real uvicorn on a free port in a thread, the Dock opened in that thread's loop."""
    ready = threading.Event()
    holder: dict[str, uvicorn.Server] = {}

    async def main() -> None:
        dock = await Dock.open(settings)
        try:
            app = create_app(dock, admin_token=settings.admin_token,
                             run_worker=worker is not None, worker_settings=worker)
            config = uvicorn.Config(app, "127.0.0.1", 0, log_level="warning",
                                    timeout_graceful_shutdown=1)
            server = holder["server"] = uvicorn.Server(config)
            task = asyncio.create_task(server.serve())
            while not server.started and not task.done():
                await asyncio.sleep(0.02)
            ready.set()
            await task
        finally:
            ready.set()
            await dock.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(30), "live server did not start"
    server = holder["server"]
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(f"http://127.0.0.1:{port}", thread, server, settings)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The whole system at one address: UI + in-process worker on a temp SQLite file."""
    live = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The UI without a worker: jobs stay where a test puts them."""
    live = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path),
                             worker=None)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def idle_server_any(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """``idle_server`` on each backend (Postgres refuses what SQLite stores, e.g. NUL)."""
    url = f"sqlite:///{tmp_path}/db.sqlite" if request.param == "sqlite" \
        else request.getfixturevalue("web_pg_url")
    live = start_live_server(settings_for(url, tmp_path), worker=None)
    try:
        yield live
    finally:
        live.stop()

"""Web test helpers: settings, an in-process HTTP client, a live server, submitting a job.

Their fixtures (``client``, ``live_server``, ``idle_server``…) are in tests/conftest.py.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.web.app import create_app
from jobdock.worker import WorkerSettings

FAST_WORKER = WorkerSettings(sync_interval=0.05, poll_interval=0.05, heartbeat_interval=1.0,
                             shutdown_grace=2.0)


def settings_for(url: str, tmp: Path, token: str | None = None) -> Settings:
    return Settings(database_url=url, storage_url=str(tmp / "storage"), home=tmp / "home",
                    admin_token=token)


async def open_client(dock: Dock, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dock, admin_token=token, allowed_hosts=["testserver"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
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


SLOW_SLEEP = {"stages": 4, "steps_per_stage": 20, "step_seconds": 0.1}


async def submit(client: httpx.AsyncClient, job_type: str = "noop", **fields: Any
                 ) -> dict[str, Any]:
    response = await client.post("/api/jobs", json={"job_type": job_type, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body

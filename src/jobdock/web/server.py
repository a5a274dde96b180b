"""``serve``: open the Dock, run uvicorn (plus a worker on the embedded default), print where."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import sys

import uvicorn

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.web.app import create_app

GRACEFUL_SECONDS = 3


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(settings: Settings, host: str) -> None:
    """Binding beyond this machine requires an admin token."""
    if not is_loopback(host) and not settings.admin_token:
        print(f"jobdock: refusing to listen on {host} without JOBDOCK_ADMIN_TOKEN "
              "(set it, or bind 127.0.0.1)", file=sys.stderr)
        raise SystemExit(2)


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          worker: bool | None = None) -> None:
    """Run the web UI until interrupted; ``worker=None`` means in-process on SQLite only."""
    check_exposure(settings, host)
    run_worker = settings.embedded if worker is None else worker
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(settings, host, port, run_worker))


async def _serve(settings: Settings, host: str, port: int, run_worker: bool) -> None:
    dock = await Dock.open(settings)
    try:
        app = create_app(dock, admin_token=settings.admin_token, run_worker=run_worker)
        config = uvicorn.Config(app, host, port, log_level="warning",
                                timeout_graceful_shutdown=GRACEFUL_SECONDS)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            shown = f"[{host}]" if ":" in host else host
            worker_note = " (with a worker)" if run_worker else ""
            print(f"jobdock UI at http://{shown}:{bound_port(server, port)}{worker_note}",
                  flush=True)
        await task
    finally:
        await dock.close()


def bound_port(server: uvicorn.Server, requested: int) -> int:
    """The port actually bound (differs from the request when it was 0)."""
    for srv in server.servers:
        for sock in srv.sockets:
            return int(sock.getsockname()[1])
    return requested


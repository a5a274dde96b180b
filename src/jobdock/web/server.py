"""``serve``: open the Dock, run uvicorn (plus a worker on the embedded default), print where."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sys

import uvicorn

from jobdock import eventloop
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


class PortInUse(Exception):
    pass


def bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket before anything else, so a clash is one clear line."""
    address = host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        reason = (exc.strerror or str(exc)).lower()
        raise PortInUse(f"jobdock: cannot listen on {host}:{port}: {reason} "
                        f"(choose another with --port, or make run PORT=8080)") from None
    return sock


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000,
          worker: bool | None = None, log_level: str = "info") -> None:
    """Run the web UI until interrupted; ``worker=None`` means in-process on SQLite only."""
    check_exposure(settings, host)
    logging.basicConfig(level=log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_worker = settings.embedded if worker is None else worker
    try:
        sock = bind(host, port)
    except PortInUse as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
    with contextlib.suppress(KeyboardInterrupt):
        try:
            eventloop.run(_serve(settings, host, sock, run_worker, log_level),
                          settings.event_loop)
        except eventloop.EventLoopUnavailable as exc:
            print(exc, file=sys.stderr)
            raise SystemExit(1) from None


def served_hosts(settings: Settings, host: str) -> list[str]:
    """The Host names to answer: the configured ones; else the loopback names plus the
    address bound (any name when bound to every interface, where the token guards)."""
    if settings.allowed_hosts:
        return list(settings.allowed_hosts)
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    return ["localhost", "127.0.0.1", "::1", host]


def worker_note(settings: Settings, run_worker: bool) -> str:
    if run_worker:
        return " (with a worker)"
    if settings.embedded:
        return " (no worker: run `jobdock worker` to process jobs)"
    return " (no worker in this process: run `jobdock worker` beside it to process jobs)"


async def _serve(settings: Settings, host: str, sock: socket.socket, run_worker: bool,
                 log_level: str) -> None:
    port = sock.getsockname()[1]
    dock = await Dock.open(settings)
    try:
        app = create_app(dock, admin_token=settings.admin_token, run_worker=run_worker,
                         allowed_hosts=served_hosts(settings, host))
        uvicorn_level = "warning" if log_level.lower() == "info" else log_level.lower()
        config = uvicorn.Config(app, host, port, log_level=uvicorn_level,
                                timeout_graceful_shutdown=GRACEFUL_SECONDS)
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.05)
        if server.started:
            shown = f"[{host}]" if ":" in host else host
            print(f"jobdock UI at http://{shown}:{bound_port(server, port)}"
                  f"{worker_note(settings, run_worker)}", flush=True)
        await task
    finally:
        await dock.close()


def bound_port(server: uvicorn.Server, requested: int) -> int:
    """The port actually bound (differs from the request when it was 0)."""
    for srv in server.servers:
        for sock in srv.sockets:
            return int(sock.getsockname()[1])
    return requested


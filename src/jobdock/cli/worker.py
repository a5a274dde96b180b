"""``jobdock worker``: run jobs until stopped (SIGTERM/SIGINT stop it gracefully)."""

from __future__ import annotations

import asyncio
import signal

import typer

from jobdock.app import Dock
from jobdock.cli.common import fail, run_with_dock
from jobdock.jobs.observe import configure_logging


def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(10, "--concurrency", "-c", min=1, max=1000,
                                    help="Jobs run at once."),
    burst: bool = typer.Option(False, "--burst", help="Drain the queue, then exit."),
    types: str | None = typer.Option(None, "--types", help="Only these job types (a,b)."),
    queues: str | None = typer.Option(None, "--queues", help="Only these queues (a,b)."),
    grace: float = typer.Option(10.0, "--grace", help="Seconds running jobs get to reach a "
                                                      "safe point on shutdown."),
    heartbeat_timeout: float = typer.Option(30.0, "--heartbeat-timeout",
                                            help="Rescue jobs silent this long."),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error."),
    wait_for_database: float = typer.Option(
        60.0, "--wait-for-database", min=0,
        help="Seconds to wait for an unreachable database at start (0: fail at once)."),
    log_format: str = typer.Option("text", "--log-format", help="text or json (one object "
                                   "per line, with job_id, job_type and stage)."),
    retention_days: float = typer.Option(
        30.0, "--retention-days", envvar="JOBDOCK_RETENTION_DAYS", min=0,
        help="Prune completed and cancelled jobs untouched this many days (0: keep all)."),
) -> None:
    """Run a worker: claim jobs and run their handlers, N at a time."""
    if log_format not in ("text", "json"):
        fail("--log-format is text or json")
    configure_logging(log_level, log_format)
    type_list = tuple(t.strip() for t in types.split(",") if t.strip()) if types else None
    queue_list = tuple(q.strip() for q in queues.split(",") if q.strip()) if queues else None
    from jobdock.app import WorkerSettings  # imported here: job commands skip the worker

    settings = WorkerSettings(concurrency=concurrency, burst=burst, types=type_list,
                              queues=queue_list,
                              shutdown_grace=grace, heartbeat_timeout=heartbeat_timeout,
                              heartbeat_interval=min(5.0, heartbeat_timeout / 3),
                              retention=retention_days * 86400 if retention_days else None)

    async def go(dock: Dock) -> None:
        unknown = [t for t in type_list or () if t not in dock.registry]
        if unknown:
            fail(f"unknown job type(s) in --types: {', '.join(unknown)}")
        await dock.start_feed(ui=False)
        w = dock.worker(settings)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, w.stop)
        await w.run()

    run_with_dock(ctx, go, wait_for_database=wait_for_database)

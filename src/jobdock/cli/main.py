"""``jobdock``: run, watch and steer staged background jobs."""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, datetime

import typer
from pydantic import ValidationError

from jobdock.app import Dock, ImportFailed, import_extensions
from jobdock.cli import bench, jobs, limits, schedules, types, worker
from jobdock.cli.common import console, fail, parse_json_object, run_with_dock
from jobdock.jobs.model import DEFAULT_MAX_RETRIES
from jobdock.settings import Settings

LOG_LEVELS = ("debug", "info", "warning", "error")

app = typer.Typer(
    help="jobdock: long, staged, resumable background jobs you can watch, pause, resume, "
         "retry and cancel.",
    no_args_is_help=True, rich_markup_mode="rich", pretty_exceptions_enable=False,
)
app.add_typer(jobs.app, name="jobs")
app.command("worker")(worker.worker)
app.command("bench")(bench.bench)
app.command("types")(types.types)
app.add_typer(schedules.app, name="schedules")
app.add_typer(limits.app, name="limits")
app.command("workers")(limits.workers)


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None, "--database-url", envvar="JOBDOCK_DATABASE_URL",
        help="postgresql://… or sqlite:///path. Default: sqlite under ./.jobdock/"),
    storage_url: str | None = typer.Option(
        None, "--storage-url", envvar="JOBDOCK_STORAGE_URL",
        help="A directory, file:///dir or s3://bucket/prefix. Default: ./.jobdock/storage"),
    imports: list[str] = typer.Option(
        [], "--import", envvar="JOBDOCK_IMPORTS",
        help="Python module with job types to load (repeatable; env: comma-separated)."),
) -> None:
    try:
        ctx.obj = Settings(database_url=database_url, storage_url=storage_url, imports=imports)
    except ValidationError as exc:  # a JOBDOCK_* variable the settings refuse
        fail("; ".join(f"JOBDOCK_{'_'.join(map(str, e['loc'])).upper()}={e['input']!r}: "
                       f"{e['msg']}" for e in exc.errors()))


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Create or upgrade the database schema."""

    async def go(dock: Dock) -> list[str]:
        return await dock.migrate()

    applied = run_with_dock(ctx, go, migrate=False)
    console.print(f"applied {', '.join(applied)}" if applied else "schema is up to date")


@app.command()
def submit(
    ctx: typer.Context,
    job_type: str = typer.Argument(..., help="A registered job type, e.g. staged_sleep."),
    input_json: str | None = typer.Option(None, "--input", help="Job input as a JSON object."),
    user_id: str | None = typer.Option(None, "--user-id", help="Owner of the job."),
    entity_type: str | None = typer.Option(None, "--entity-type",
                                           help="What the job works on, e.g. document."),
    entity_id: str | None = typer.Option(None, "--entity-id", help="Id of that entity."),
    priority: int = typer.Option(0, "--priority", help="Higher runs first."),
    max_retries: int | None = typer.Option(
        None, "--max-retries", help=f"Job-level retries (default: the type's, usually "
                                    f"{DEFAULT_MAX_RETRIES})."),
    run_at: datetime | None = typer.Option(None, "--run-at", help="Start no earlier than this "
                                           "(ISO 8601; UTC if no zone)."),
    queue: str | None = typer.Option(None, "--queue", help="Queue (default: the type's)."),
    unique_key: str | None = typer.Option(None, "--unique-key", help="A duplicate submit "
                                          "returns the job holding this key."),
    unique_window: float | None = typer.Option(None, "--unique-window",
                                               help="Seconds the key holds (a bucket)."),
    after: list[str] = typer.Option([], "--after", help="Start once this job completed "
                                    "(repeatable)."),
) -> None:
    """Submit one job and print its id."""
    from jobdock.admin.service import parse_job_id
    from jobdock.client import AsyncClient

    payload = parse_json_object(input_json)
    if run_at is not None and run_at.tzinfo is None:
        run_at = run_at.replace(tzinfo=UTC)

    async def go(dock: Dock) -> str:
        client = AsyncClient(dock)
        new = client.new_job(job_type, payload, user_id=user_id, entity_type=entity_type,
                             entity_id=entity_id, priority=priority, max_retries=max_retries,
                             run_at=run_at, queue=queue, unique_key=unique_key,
                             unique_window=unique_window,
                             after=tuple(parse_job_id(a) for a in after))
        return str((await dock.admin.submit(new)).id)

    print(run_with_dock(ctx, go))


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to bind (others need "
                                               "JOBDOCK_ADMIN_TOKEN)."),
    port: int = typer.Option(8000, help="Port to listen on."),
    worker: bool | None = typer.Option(
        None, "--worker/--no-worker",
        help="Run a worker in the same process (default: yes on the embedded SQLite)."),
    log_level: str = typer.Option("info", "--log-level",
                                  help="debug, info, warning, error (info: one line per job)."),
) -> None:
    """Start the web UI (and, on the embedded default, a worker)."""
    from jobdock.web.server import serve as serve_web

    if log_level.lower() not in LOG_LEVELS:
        fail(f"--log-level must be one of {', '.join(LOG_LEVELS)}")
    serve_web(ctx.obj, host=host, port=port, worker=worker, log_level=log_level)


_added: set[str] = set()


def add_extension_commands(modules: list[str] | tuple[str, ...] = ()) -> None:
    """Give each loaded extension's Typer sub-app its command (``jobdock documents …``)."""
    for extension in import_extensions(modules):
        if extension.cli is None or extension.name in _added:
            continue
        _added.add(extension.name)
        app.add_typer(extension.cli(), name=extension.cli_name or extension.name)


def _requested_imports(argv: list[str]) -> list[str]:
    """``--import`` values and ``JOBDOCK_IMPORTS``, read before Typer parses (an
    extension's commands must exist by then)."""
    found = [m.strip() for m in os.environ.get("JOBDOCK_IMPORTS", "").split(",") if m.strip()]
    for i, arg in enumerate(argv):
        if arg == "--import" and i + 1 < len(argv):
            found.append(argv[i + 1])
        elif arg.startswith("--import="):
            found.append(arg.split("=", 1)[1])
    return found


_GLOBAL_OPTIONS_WITH_VALUE = ("--database-url", "--storage-url", "--import")


def _command_of(argv: list[str]) -> str | None:
    """The sub-command named on the line (after the global options), if any."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def _builtin_commands() -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in
             app.registered_commands}
    return names | {g.name or "" for g in app.registered_groups}


def main() -> None:
    # Extensions' commands (``jobdock documents …``) are added only when the line may name
    # one: a built-in command such as ``jobs list`` then imports nothing of them.
    if _command_of(sys.argv[1:]) not in _builtin_commands():
        with contextlib.suppress(ImportFailed):  # reported when the command opens the Dock
            add_extension_commands(_requested_imports(sys.argv[1:]))
    app()


if __name__ == "__main__":
    main()

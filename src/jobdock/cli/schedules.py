"""``jobdock schedules …``: periodic jobs (cron or interval), with their next run."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from jobdock.app import Dock
from jobdock.cli.common import (
    console,
    data_table,
    fail,
    parse_json_object,
    print_json,
    print_table,
    run_with_dock,
)
from jobdock.cli.render import ago
from jobdock.jobs.periodic import BadSchedule, parse_every, schedule_of

app = typer.Typer(help="Periodic jobs: list, add, pause, resume, remove.",
                  no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")


def schedules_table(rows: list[dict[str, Any]]) -> Table:
    table = data_table("name", "type", "when", "next run", "last run", "state", "source")
    for row in rows:
        table.add_row(escape(row["name"]), escape(row["job_type"]),
                      escape(schedule_of(row).spec),
                      f"{row['next_run_at']:%Y-%m-%d %H:%M:%S} ({ago(row['next_run_at'])})",
                      ago(row["last_run_at"]), "paused" if row["paused_at"] else "active",
                      row["source"])
    return table


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


@app.command("list")
def list_schedules(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Every schedule with its next run."""

    async def go(dock: Dock) -> None:
        rows = await dock.admin.schedule_list()
        if as_json:
            print_json([_json(r) for r in rows])
        else:
            print_table(schedules_table(rows))

    run_with_dock(ctx, go)


@app.command("add")
def add(ctx: typer.Context, name: str, job_type: str,
        cron: str | None = typer.Option(None, "--cron", help="Cron, e.g. '0 9 * * 1-5'."),
        every: str | None = typer.Option(None, "--every", help="Interval: 90s, 15m, 6h, 1d."),
        timezone: str = typer.Option("UTC", "--timezone", help="Zone the cron is read in."),
        input_json: str | None = typer.Option(None, "--input", help="Job input (JSON object)."),
        user_id: str | None = typer.Option(None, "--user-id", help="Owner of its jobs."),
        queue: str | None = typer.Option(None, "--queue",
                                         help="Queue of its jobs (default: the type's)."),
        as_json: bool = JSON_OPTION) -> None:
    """Add (or replace) a schedule."""
    try:
        interval = parse_every(every) if every else None
    except BadSchedule as exc:
        fail(str(exc))
    payload = parse_json_object(input_json)

    async def go(dock: Dock) -> None:
        schedule = dock.admin.schedule_from(name, job_type, cron=cron, every=interval,
                                            timezone=timezone, input_data=payload,
                                            user_id=user_id, queue=queue)
        row = await dock.admin.schedule_add(schedule)
        if as_json:
            print_json(_json(row))
        else:
            console.print(f"schedule {name}: next run {row['next_run_at'].isoformat()}")

    run_with_dock(ctx, go)


def _simple(ctx: typer.Context, name: str, verb: str) -> None:
    async def go(dock: Dock) -> None:
        admin = dock.admin
        if verb == "remove":
            await admin.schedule_remove(name)
            console.print(f"schedule {name} removed")
            return
        row = await (admin.schedule_pause(name) if verb == "pause"
                     else admin.schedule_resume(name))
        state = "paused" if row["paused_at"] else f"active, next run {row['next_run_at']}"
        console.print(f"schedule {name}: {state}")

    run_with_dock(ctx, go)


@app.command()
def pause(ctx: typer.Context, name: str) -> None:
    """Pause a schedule (no jobs until resumed)."""
    _simple(ctx, name, "pause")


@app.command()
def resume(ctx: typer.Context, name: str) -> None:
    """Resume a schedule; it fires next at its first time after now."""
    _simple(ctx, name, "resume")


@app.command()
def remove(ctx: typer.Context, name: str) -> None:
    """Remove a schedule (the jobs it made stay)."""
    _simple(ctx, name, "remove")

"""``jobdock limits …`` (concurrency limits and fair queues) and ``jobdock workers``."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from jobdock.app import Dock
from jobdock.cli.common import console, data_table, print_json, print_table, run_with_dock
from jobdock.cli.render import ago

app = typer.Typer(help="Concurrency limits per job type or queue; fair queues.",
                  no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print JSON.")
KIND = typer.Argument(..., help="'type' or 'queue'.")


def _json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.items()}


@app.command("list")
def list_limits(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Every limit."""

    async def go(dock: Dock) -> None:
        rows = await dock.admin.limit_list()
        if as_json:
            print_json([_json(r) for r in rows])
            return
        table = data_table("kind", "name", "max running", "fair")
        for r in rows:
            table.add_row(r["kind"], escape(r["name"]), str(r["max_running"] or "-"),
                          "yes" if r["fair"] else "no")
        print_table(table)

    run_with_dock(ctx, go)


@app.command("set")
def set_limit(ctx: typer.Context, kind: str = KIND, name: str = typer.Argument(...),
              max_running: int | None = typer.Option(None, "--max", help="Most running at "
                                                     "once across all workers."),
              fair: bool = typer.Option(False, "--fair", help="Queue only: round-robin "
                                                              "over users.")) -> None:
    """Limit a job type or a queue (applies to every worker at once)."""

    async def go(dock: Dock) -> None:
        row = await dock.admin.limit_set(kind, name, max_running, fair)
        console.print(f"{kind} {name}: at most {row['max_running'] or 'any'} running"
                      f"{', fair' if row['fair'] else ''}")

    run_with_dock(ctx, go)


@app.command("remove")
def remove_limit(ctx: typer.Context, kind: str = KIND, name: str = typer.Argument(...)) -> None:
    """Remove a limit."""

    async def go(dock: Dock) -> None:
        await dock.admin.limit_remove(kind, name)
        console.print(f"{kind} {name}: no limit")

    run_with_dock(ctx, go)


def workers(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Live workers: host, pid, concurrency, queues, jobs running, last heartbeat."""

    async def go(dock: Dock) -> None:
        rows = await dock.admin.workers()
        if as_json:
            print_json([_json(r) for r in rows])
            return
        table = data_table("id", "host", "pid", "concurrency", "queues", "running",
                           "heartbeat", "started")
        for r in rows:
            table.add_row(escape(r["id"]), escape(r["host"]), str(r["pid"]),
                          str(r["concurrency"]), escape(",".join(r["queues"] or ["all"])),
                          str(r["jobs_running"]), ago(r["heartbeat_at"]), ago(r["started_at"]))
        print_table(table)

    run_with_dock(ctx, go)

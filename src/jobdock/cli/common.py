"""What every command shares: settings from the global options, the Dock, clean errors."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jobdock import eventloop
from jobdock.admin import AdminError, StorageError, StoreUnavailable
from jobdock.app import Dock, ImportFailed
from jobdock.jobs.states import IllegalTransition
from jobdock.settings import Settings

T = TypeVar("T")
console = Console()
err_console = Console(stderr=True)

# Exit codes: 2 = the request was refused (bad input, illegal transition, unknown id);
# 1 = jobdock could not do its work (database or storage unreachable).
EXIT_REFUSED = 2
EXIT_UNAVAILABLE = 1


def data_table(*headers: str) -> Table:
    """The CLI's plain data table: bold headers, no outer edge."""
    return Table(*headers, show_edge=False, header_style="bold")


def print_table(table: Table) -> None:
    """A table at a terminal; into a pipe or a file, one tab-separated line per row, no
    header and nothing cut to the width, so scripts can grep and cut it."""
    if console.is_terminal:
        console.print(table)
        return
    columns = [list(column.cells) for column in table.columns]
    for row in zip(*columns, strict=True):
        sys.stdout.write("\t".join(_plain(cell) for cell in row) + "\n")


def _plain(cell: object) -> str:
    text = cell.plain if isinstance(cell, Text) else \
        Text.from_markup(cell).plain if isinstance(cell, str) else str(cell)
    return " ".join(text.split())  # no tab or newline inside a field


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_of(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    assert isinstance(obj, Settings)
    return obj


async def open_dock(settings: Settings, migrate: bool, wait_seconds: float,
                    job_types: bool = True) -> Dock:
    """Open the Dock; with ``wait_seconds``, wait that long for an unreachable database
    (a worker started while Postgres restarts waits for it instead of exiting)."""
    deadline, delay, said = time.monotonic() + wait_seconds, 0.1, False
    while True:
        try:
            return await Dock.open(settings, migrate=migrate, job_types=job_types)
        except StoreUnavailable as exc:
            if time.monotonic() + delay > deadline:
                raise
            if not said:
                err_console.print(f"jobdock: waiting for the database ({exc})",
                                  highlight=False, soft_wrap=True)
                said = True
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(2.0, delay * 2)


def run_with_dock(ctx: typer.Context, fn: Callable[[Dock], Awaitable[T]], *,
                  migrate: bool = True, wait_for_database: float = 0.0,
                  job_types: bool = True) -> T:
    """Open the Dock, run ``fn``, close it; turn known failures into one-line errors.
    ``job_types=False``: the command needs no registry (loads no handler module)."""

    async def main() -> T:
        dock = await open_dock(settings_of(ctx), migrate, wait_for_database, job_types)
        try:
            return await fn(dock)
        finally:
            await dock.close()

    settings = settings_of(ctx)
    try:
        return eventloop.run(main(), settings.event_loop)
    except eventloop.EventLoopUnavailable as exc:
        fail(str(exc))
    except (AdminError, IllegalTransition) as exc:
        fail(str(exc))
    except (StoreUnavailable, StorageError) as exc:
        fail(str(exc), EXIT_UNAVAILABLE)
    except ImportFailed as exc:
        fail(str(exc))


def parse_json_object(text: str | None, what: str = "--input") -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    if not isinstance(value, dict):
        fail(f"{what} must be a JSON object, like '{{\"key\": 1}}'")
    return value


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")

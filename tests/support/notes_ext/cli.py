"""The example extension's command, ``jobdock notes …`` (imported when the CLI starts)."""

from __future__ import annotations

import typer

from jobdock.app import Dock
from jobdock.cli.common import print_json, run_with_dock
from jobdock.jobs.model import NewJob
from tests.support.notes_ext import NoteStore

app = typer.Typer(help="Example extension: notes.", no_args_is_help=True)


@app.command("add")
def add(ctx: typer.Context, body: str) -> None:
    """Add a note and queue counting its words."""

    async def go(dock: Dock) -> None:
        note = await NoteStore(dock.store).add(body, dock.clock.now())
        job = await dock.admin.submit(NewJob("count_note_words", entity_type="note",
                                             entity_id=note["id"]))
        print_json({"note": note["id"], "job": str(job.id)})

    run_with_dock(ctx, go)


@app.command("list")
def list_notes(ctx: typer.Context) -> None:
    """Print the notes as JSON."""

    async def go(dock: Dock) -> None:
        print_json(await NoteStore(dock.store).list())

    run_with_dock(ctx, go)

"""``jobdock integrations …``: settings, Obsidian export/sync, Readwise import,
annotations and the review queue."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from jobdock.app import Dock
from jobdock.cli.common import console, data_table, print_json, print_table, run_with_dock
from jobdock.cli.watch import watch_jobs
from jobdock.jobs.model import Job
from jobdock.library.integrations.service import IntegrationService
from jobdock.worker import WorkerSettings

app = typer.Typer(help="Obsidian vault, Readwise highlights, annotations and the review "
                       "queue.", no_args_is_help=True)
annotations_app = typer.Typer(help="List, add and delete a document's annotations.",
                              no_args_is_help=True)
review_app = typer.Typer(help="Fuzzy Readwise matches waiting for a decision.",
                         no_args_is_help=True)
app.add_typer(annotations_app, name="annotations")
app.add_typer(review_app, name="review")

USER = typer.Option("local", "--user-id", help="Whose settings and documents.")
RUN = typer.Option(False, "--run", help="Run the job in this command (implies --wait).")
WAIT = typer.Option(False, "--wait", help="Show live progress until the job finishes.")
JSON = typer.Option(False, "--json", help="Print JSON.")


async def _follow(dock: Dock, job: Job, run: bool, wait: bool) -> None:
    console.print(f"{job.job_type} job {job.id}")
    if not (run or wait):
        return
    task = None
    if run:
        task = asyncio.create_task(dock.worker(WorkerSettings(burst=True)).run())
    await watch_jobs(dock, str(job.id), 0.5)
    if task is not None:
        await task
    done = await dock.admin.get_job(job.id)
    if done.output_data:
        print_json(done.output_data)


def _show(row: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(row)
        return
    for key, value in row.items():
        console.print(f"[bold]{key}[/]: {escape(str(value))}")


@app.command("settings")
def settings(ctx: typer.Context, user_id: str = USER,
             vault: str | None = typer.Option(None, "--vault", help="Vault folder (absolute)."),
             vault_name: str | None = typer.Option(None, "--vault-name",
                                                      help="For obsidian:// links."),
             folder: str | None = typer.Option(None, "--folder", help="Export folder in the "
                                                                      "vault."),
             sync_annotations: bool | None = typer.Option(
                 None, "--sync-annotations/--no-sync-annotations",
                 help="Export annotations with each note."),
             every_hours: int | None = typer.Option(
                 None, "--readwise-every-hours", help="Import from Readwise every N hours "
                                                      "(0: never)."),
             readwise_url: str | None = typer.Option(None, "--readwise-url", hidden=True,
                                                       help="Readwise API base URL."),
             as_json: bool = JSON) -> None:
    """Show the integration settings, or change the ones given."""
    changes = {k: v for k, v in {
        "vault_path": vault, "vault_name": vault_name, "export_folder": folder,
        "sync_annotations": sync_annotations, "readwise_every_hours": every_hours,
        "readwise_base_url": readwise_url}.items() if v is not None}

    async def go(dock: Dock) -> None:
        service = IntegrationService.of(dock)
        row = await (service.save_settings(user_id, changes) if changes
                     else service.settings(user_id))
        _show(row, as_json)

    run_with_dock(ctx, go)


@app.command("token")
def token(ctx: typer.Context, user_id: str = USER,
          clear: bool = typer.Option(False, "--clear", help="Forget the token."),
          stdin: bool = typer.Option(False, "--stdin", help="Read it from standard input.")
          ) -> None:
    """Store the Readwise token (asked for without echo; never shown again)."""
    value = None
    if not clear:
        value = sys.stdin.readline().strip() if stdin else \
            typer.prompt("Readwise token", hide_input=True)

    async def go(dock: Dock) -> None:
        await IntegrationService.of(dock).set_readwise_token(user_id, value)
        console.print("Readwise token cleared" if clear else "Readwise token stored")

    run_with_dock(ctx, go)


@app.command("export")
def export(ctx: typer.Context, document_id: str, user_id: str = USER,
           force: bool = typer.Option(False, "--force", help="Overwrite a note edited in the "
                                                            "vault."),
           wait: bool = WAIT, run: bool = RUN) -> None:
    """Write a document into the Obsidian vault (obsidian_export)."""

    async def go(dock: Dock) -> None:
        job = await IntegrationService.of(dock).export(user_id, document_id, force)
        await _follow(dock, job, run, wait)

    run_with_dock(ctx, go)


@app.command("sync")
def sync(ctx: typer.Context, document_id: str, user_id: str = USER, wait: bool = WAIT,
         run: bool = RUN,
         prefer: str | None = typer.Option(None, "--prefer", help="Resolve a conflict: keep "
                                           "'vault' or 'library' (the other is saved).")
         ) -> None:
    """Compare a document with its vault note and carry changes over (obsidian_sync)."""

    async def go(dock: Dock) -> None:
        job = await IntegrationService.of(dock).sync(user_id, document_id, prefer)
        await _follow(dock, job, run, wait)

    run_with_dock(ctx, go)


@app.command("sync-state")
def sync_state(ctx: typer.Context, user_id: str = USER, as_json: bool = JSON) -> None:
    """Documents synced with the vault; conflicts first."""

    async def go(dock: Dock) -> None:
        rows = await IntegrationService.of(dock).sync_states(user_id)
        if as_json:
            print_json(rows)
            return
        table = data_table("document", "title", "note", "last sync", "conflict")
        for r in rows:
            table.add_row(r["document_id"], escape(r["title"]), escape(r["note_path"]),
                          f"{r['last_sync_direction']} {r['last_synced_at']}",
                          "CONFLICT" if r.get("conflict") else "")
        print_table(table)

    run_with_dock(ctx, go)


@app.command("import")
def import_file(ctx: typer.Context,
                file: Path | None = typer.Argument(None, exists=True, dir_okay=False,
                                                   help="A Readwise export (CSV or JSON); "
                                                        "without it, the Readwise API."),
                user_id: str = USER,
                document_id: str | None = typer.Option(None, "--document", help="Match every "
                                                       "highlight against this document."),
                since: str | None = typer.Option(None, "--since", help="API: updatedAfter."),
                wait: bool = WAIT, run: bool = RUN) -> None:
    """Import Readwise highlights (readwise_import)."""

    async def go(dock: Dock) -> None:
        service = IntegrationService.of(dock)
        if file is not None:
            job = await service.import_file(user_id, file.name, file.read_bytes(), document_id)
        else:
            job = await service.import_api(user_id, document_id, since)
        await _follow(dock, job, run, wait)

    run_with_dock(ctx, go)


@annotations_app.command("list")
def annotations_list(ctx: typer.Context, document_id: str, user_id: str = USER,
                     as_json: bool = JSON) -> None:
    """A document's annotations in text order."""

    async def go(dock: Dock) -> None:
        rows = await IntegrationService.of(dock).annotations(document_id, user_id)
        if as_json:
            print_json(rows)
            return
        table = data_table("id", "at", "quote", "note", "source", "anchor")
        for a in rows:
            quote = a["quote"] if len(a["quote"]) < 60 else a["quote"][:57] + "..."
            table.add_row(a["id"][:8], f"{a['start_offset']}-{a['end_offset']}", escape(quote),
                          escape(a["note"]), a["source"], a["anchor_method"])
        print_table(table)

    run_with_dock(ctx, go)


@annotations_app.command("add")
def annotations_add(ctx: typer.Context, document_id: str, user_id: str = USER,
                    quote: str | None = typer.Option(None, "--quote", help="Text to highlight."),
                    start: int | None = typer.Option(None, "--start", help="Start offset."),
                    end: int | None = typer.Option(None, "--end", help="End offset."),
                    note: str = typer.Option("", "--note", help="Your note."),
                    color: str = typer.Option("yellow", "--color", help="Colour."),
                    tags: list[str] = typer.Option([], "--tag", help="A tag (repeatable)."),
                    as_json: bool = JSON) -> None:
    """Annotate a passage (by --quote, or --start/--end offsets into content.md)."""

    async def go(dock: Dock) -> None:
        row = await IntegrationService.of(dock).add_annotation(
            user_id, document_id, start=start, end=end, quote=quote, note=note, color=color,
            tags=tags)
        _show(row, as_json)

    run_with_dock(ctx, go)


@annotations_app.command("delete")
def annotations_delete(ctx: typer.Context, annotation_id: str, user_id: str = USER) -> None:
    """Delete an annotation."""

    async def go(dock: Dock) -> None:
        await IntegrationService.of(dock).delete_annotation(user_id, annotation_id)
        console.print(f"deleted {annotation_id}")

    run_with_dock(ctx, go)


@review_app.command("list")
def review_list(ctx: typer.Context, user_id: str = USER,
                status: str = typer.Option("pending", "--status",
                                           help="pending, accepted, rejected or all."),
                as_json: bool = JSON) -> None:
    """Review entries: a highlight and the passage suggested for it."""

    async def go(dock: Dock) -> None:
        rows = await IntegrationService.of(dock).review_list(
            user_id, None if status == "all" else status)
        if as_json:
            print_json(rows)
            return
        table = data_table("id", "document", "highlight", "suggested", "confidence", "status")
        for r in rows:
            table.add_row(r["id"], escape(r["document_title"]),
                          escape(str(r["highlight"].get("text", ""))[:50]),
                          escape(r["suggested_text"][:50]), f"{r['confidence']:.2f}",
                          r["status"])
        print_table(table)

    run_with_dock(ctx, go)


@review_app.command("accept")
def review_accept(ctx: typer.Context, review_id: str, user_id: str = USER) -> None:
    """Accept a suggestion: it becomes an annotation."""

    async def go(dock: Dock) -> None:
        result = await IntegrationService.of(dock).review_accept(user_id, review_id)
        console.print(f"accepted; annotation {result['annotation']['id']}")

    run_with_dock(ctx, go)


@review_app.command("reject")
def review_reject(ctx: typer.Context, review_id: str, user_id: str = USER) -> None:
    """Reject a suggestion."""

    async def go(dock: Dock) -> None:
        await IntegrationService.of(dock).review_reject(user_id, review_id)
        console.print("rejected")

    run_with_dock(ctx, go)

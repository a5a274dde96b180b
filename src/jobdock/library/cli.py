"""``jobdock documents …``: add, list, show, export and import documents."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from jobdock.app import Dock
from jobdock.cli.common import console, fail, print_json, run_with_dock
from jobdock.cli.watch import watch_jobs
from jobdock.jobs.model import Job
from jobdock.library.service import DocumentService
from jobdock.worker import WorkerSettings

app = typer.Typer(help="Add, list, show, export and import documents.", no_args_is_help=True)

USER_OPTION = typer.Option("local", "--user-id", help="Owner of the documents.")
RUN_OPTION = typer.Option(False, "--run", help="Process in this command (no separate worker "
                                               "needed); implies --wait.")
WAIT_OPTION = typer.Option(False, "--wait", help="Show live progress until the jobs finish.")


async def _follow(dock: Dock, jobs: list[Job], run: bool, wait: bool) -> None:
    if not (run or wait):
        return
    worker_task = None
    if run:
        worker = dock.worker(WorkerSettings(burst=True, concurrency=2))
        worker_task = asyncio.create_task(worker.run())
    for job in jobs:
        await watch_jobs(dock, str(job.id), 0.5)
    if worker_task is not None:
        await worker_task


@app.command("add")
def add(ctx: typer.Context, files: list[Path] = typer.Argument(..., exists=True, dir_okay=False),
        user_id: str = USER_OPTION,
        embedder: str = typer.Option("hashing", "--embedder", help="hashing or minilm."),
        wait: bool = WAIT_OPTION, run: bool = RUN_OPTION) -> None:
    """Store files and start processing them (PDF, EPUB, HTML, Markdown, text)."""

    async def go(dock: Dock) -> None:
        jobs = []
        for path in files:
            doc, job = await DocumentService.of(dock).add(user_id, path.name, path.read_bytes(),
                                                embedder=embedder)
            console.print(f"{escape(path.name)}: document {doc['id']}, job {job.id}")
            jobs.append(job)
        await _follow(dock, jobs, run, wait)

    run_with_dock(ctx, go)


@app.command("list")
def list_documents(ctx: typer.Context, user_id: str | None = typer.Option(None, "--user-id"),
                   as_json: bool = typer.Option(False, "--json")) -> None:
    """List documents, newest first."""

    async def go(dock: Dock) -> None:
        docs = await DocumentService.of(dock).list_documents(user_id)
        if as_json:
            print_json(docs)
            return
        table = Table(show_edge=False, header_style="bold")
        for column in ("id", "title", "type", "status", "chunks", "user"):
            table.add_column(column, no_wrap=column == "id")
        for d in docs:
            table.add_row(d["id"], escape(d["title"]), d["source_type"], d["status"],
                          str(d["chunk_count"]), escape(d["user_id"]))
        console.print(table)

    run_with_dock(ctx, go)


@app.command("show")
def show(ctx: typer.Context, document_id: str,
         chunks: bool = typer.Option(False, "--chunks", help="Include the chunks."),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one document."""

    async def go(dock: Dock) -> None:
        doc = await DocumentService.of(dock).get(document_id)
        if chunks:
            doc["chunks"] = await DocumentService.of(dock).chunks(document_id)
        if as_json:
            print_json(doc)
        else:
            for key, value in doc.items():
                console.print(f"[bold]{key}[/]: {escape(str(value))}")

    run_with_dock(ctx, go)


@app.command("export")
def export(ctx: typer.Context, document_ids: list[str] = typer.Argument(...),
           user_id: str = USER_OPTION,
           out: Path | None = typer.Option(None, "--out", help="Also write the ZIP here."),
           wait: bool = WAIT_OPTION, run: bool = RUN_OPTION) -> None:
    """Export documents as one ZIP (stored under {user}/exports/)."""

    async def go(dock: Dock) -> None:
        job = await DocumentService.of(dock).export(user_id, document_ids)
        console.print(f"export job {job.id}")
        await _follow(dock, [job], run, wait or out is not None)
        if out is not None:
            done = await dock.admin.get_job(job.id)
            if done.status != "completed" or not done.output_data:
                fail(f"the export did not complete ({done.status}: {done.error_message})")
            data = await asyncio.to_thread(dock.storage.get, done.output_data["storage_key"])
            out.write_bytes(data or b"")
            console.print(f"wrote {out} ({len(data or b'')} bytes)")

    run_with_dock(ctx, go)


@app.command("import")
def import_zip(ctx: typer.Context, zip_file: Path = typer.Argument(..., exists=True),
               user_id: str = USER_OPTION,
               strategy: str = typer.Option("replace", "--strategy",
                                            help="skip, replace or merge_smart."),
               wait: bool = WAIT_OPTION, run: bool = RUN_OPTION) -> None:
    """Import the documents of an export ZIP."""
    from jobdock.library.handlers.exporter import read_export

    try:
        bundle = read_export(zip_file.read_bytes())
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        fail(f"{zip_file} is not a jobdock export: {exc}")

    async def go(dock: Dock) -> None:
        jobs = []
        for old_id, files in bundle.items():
            manifest = json.loads(files.get("manifest.json", b"{}"))
            doc, job = await DocumentService.of(dock).import_files(
                user_id, files, title=manifest.get("title") or old_id, strategy=strategy)
            console.print(f"{old_id} → document {doc['id']}, job {job.id}")
            jobs.append(job)
        await _follow(dock, jobs, run, wait)

    run_with_dock(ctx, go)

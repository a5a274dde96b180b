"""``jobdock documents …``: add, list, show, delete, export and import documents."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer
from rich.markup import escape

from jobdock.app import Dock
from jobdock.cli.common import (
    EXIT_UNAVAILABLE,
    console,
    err_console,
    fail,
    print_json,
    print_table,
    run_with_dock,
)
from jobdock.cli.watch import watch_jobs
from jobdock.jobs.describe import job_title
from jobdock.jobs.model import Job
from jobdock.library.render import chunk_text, document_grid, document_line, documents_table
from jobdock.library.service import DocumentService
from jobdock.worker import WorkerSettings

app = typer.Typer(help="Add, list, show, delete, export and import documents.",
                  no_args_is_help=True)

USER_OPTION = typer.Option("local", "--user-id", help="Owner of the documents.")
RUN_OPTION = typer.Option(False, "--run", help="Process in this command (no separate worker "
                                               "needed); implies --wait.")
WAIT_OPTION = typer.Option(False, "--wait", help="Show live progress until the jobs finish.")


async def _follow(dock: Dock, jobs: list[Job], run: bool, wait: bool) -> None:
    """With --run/--wait: show progress until the jobs finish; a failure prints its reason
    and the command exits 1."""
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
    failed = [j for j in [await dock.admin.get_job(job.id) for job in jobs]
              if j.status != "completed"]
    for job in failed:
        reason = f"[{job.error_type}] {job.error_message}" if job.error_message else job.status
        err_console.print(f"[bold red]error:[/] {escape(job_title(job))} ({job.job_type} "
                          f"{job.id}): {escape(str(reason))}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(EXIT_UNAVAILABLE)


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
            console.print(f"{escape(path.name)}: document {doc['id']}, job {job.id}",
                          soft_wrap=True)
            jobs.append(job)
        await _follow(dock, jobs, run, wait)

    run_with_dock(ctx, go)


@app.command("list")
def list_documents(ctx: typer.Context,
                   user_id: str | None = typer.Option(None, "--user-id",
                                                      help="Only this owner's documents."),
                   as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List documents, newest first: a table at a terminal, one tab-separated line per
    document (id, status, type, chunks, user, title) when piped."""

    async def go(dock: Dock) -> None:
        docs = await DocumentService.of(dock).list_documents(user_id)
        if as_json:
            print_json(docs)
        elif not console.is_terminal:
            sys.stdout.write("".join(document_line(d) + "\n" for d in docs))
        else:
            console.print(documents_table(docs) if docs else "no documents")

    run_with_dock(ctx, go)


@app.command("show")
def show(ctx: typer.Context, document_id: str,
         chunks: bool = typer.Option(False, "--chunks", help="Include the chunks."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Show one document (and with --chunks, each chunk's place, words and text)."""

    async def go(dock: Dock) -> None:
        service = DocumentService.of(dock)
        doc = await service.get(document_id)
        doc_chunks = await service.chunks(document_id) if chunks else None
        if as_json:
            print_json(doc if doc_chunks is None else {**doc, "chunks": doc_chunks})
            return
        print_table(document_grid(doc))
        for chunk in doc_chunks or []:
            console.print(chunk_text(chunk), highlight=False)

    run_with_dock(ctx, go)


@app.command("export")
def export(ctx: typer.Context, document_ids: list[str] = typer.Argument(...),
           user_id: str = USER_OPTION,
           out: Path | None = typer.Option(None, "--out", help="Also write the ZIP here."),
           include_connections: bool = typer.Option(
               False, "--include-connections",
               help="Add each document's connections.json (importing restores them)."),
           wait: bool = WAIT_OPTION, run: bool = RUN_OPTION) -> None:
    """Export documents as one ZIP (stored under {user}/exports/)."""

    async def go(dock: Dock) -> None:
        job = await DocumentService.of(dock).export(user_id, document_ids,
                                                    include_connections)
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
                                            help="For documents already here: skip, replace "
                                                 "or merge_smart."),
               wait: bool = WAIT_OPTION, run: bool = RUN_OPTION) -> None:
    """Import the documents of an export ZIP (they keep their ids, titles and details)."""
    from jobdock.library.import_bundle import ImportRefused, read_bundle_documents

    try:
        bundle = read_bundle_documents(zip_file.read_bytes())
    except ImportRefused as exc:
        fail(f"{zip_file} is not a jobdock export it can import: {exc}")
    except OSError as exc:
        fail(f"{zip_file} cannot be read: {exc}")

    async def go(dock: Dock) -> None:
        jobs = []
        service = DocumentService.of(dock)
        for info, files in bundle:
            doc, job = await service.import_files(
                user_id, files, title=info.get("title") or info["id"], strategy=strategy,
                document_id=info["id"], info=info)
            name = escape(doc["title"])
            if job is None:
                console.print(f"{name}: already here as document {doc['id']}; skipped",
                              soft_wrap=True)
                continue
            console.print(f"{name}: document {doc['id']}, job {job.id}", soft_wrap=True)
            jobs.append(job)
        await _follow(dock, jobs, run, wait)

    run_with_dock(ctx, go)


@app.command("delete")
def delete(ctx: typer.Context, document_ids: list[str] = typer.Argument(...),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Delete documents with their chunks and stored files."""

    async def go(dock: Dock) -> None:
        results = [await DocumentService.of(dock).delete(doc_id) for doc_id in document_ids]
        if as_json:
            print_json(results)
            return
        for r in results:
            console.print(f"deleted {escape(r['title'])} ({r['id']}): {r['chunks_deleted']} "
                          f"chunk(s), {r['files_deleted']} file(s)", highlight=False)

    run_with_dock(ctx, go)

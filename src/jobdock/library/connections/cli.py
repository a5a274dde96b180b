"""``jobdock connections …``: list a document's connections, detect, reprocess."""

from __future__ import annotations

import asyncio

import typer
from rich.markup import escape

from jobdock.app import Dock
from jobdock.cli.common import console, data_table, print_json, print_table, run_with_dock
from jobdock.cli.watch import watch_jobs
from jobdock.jobs.model import Job
from jobdock.library.connections.service import ConnectionService
from jobdock.library.connections.weights import DEFAULT_PRESET
from jobdock.worker import WorkerSettings

app = typer.Typer(help="A document's connections to the rest of the library.",
                  no_args_is_help=True)
WAIT = typer.Option(False, "--wait", help="Show live progress until the job finishes.")
RUN = typer.Option(False, "--run", help="Run the job in this command (no worker needed).")


async def _follow(dock: Dock, job: Job, wait: bool, run: bool) -> None:
    console.print(f"job {job.id} ({job.job_type})")
    task = None
    if run:
        task = asyncio.create_task(dock.worker(WorkerSettings(burst=True)).run())
    if wait or run:
        await watch_jobs(dock, str(job.id), 0.5)
    if task is not None:
        await task

ENGINE_HELP = ("Only one engine: semantic_similarity, contradiction_detection or "
               "thematic_bridge.")

@app.command("list")
def list_connections(ctx: typer.Context, document_id: str,
                     engine: str | None = typer.Option(None, "--engine", help=ENGINE_HELP),
                     preset: str = typer.Option(DEFAULT_PRESET, "--preset",
                                                help="balanced, max-friction, "
                                                     "thematic-focus or semantic-only"),
                     as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """A document's connections, best first by the preset's weighted score."""

    async def go(dock: Dock) -> None:
        conns = await ConnectionService.of(dock).for_document(document_id, engine, preset)
        if as_json:
            print_json(conns)
            return
        table = data_table("score", "strength", "engine", "reviewed", "other passage", "why")
        for c in conns:
            reviewed = {True: "validated", False: "rejected"}.get(c["user_validated"], "")
            table.add_row(f"{c['score']:.3f}", f"{c['strength']:.2f}", c["engine"], reviewed,
                          escape(f"{c['other']['title']} #{c['other']['chunk_index'] + 1}"),
                          escape(c["explanation"]))
        print_table(table)

    run_with_dock(ctx, go)


@app.command("detect")
def detect(ctx: typer.Context, document_id: str,
           engines: str | None = typer.Option(None, "--engines", help="Comma-separated."),
           wait: bool = WAIT, run: bool = RUN) -> None:
    """Start detect_connections for a document."""

    async def go(dock: Dock) -> None:
        job = await ConnectionService.of(dock).detect(
            document_id, engines.split(",") if engines else None)
        await _follow(dock, job, wait, run)

    run_with_dock(ctx, go)


@app.command("reprocess")
def reprocess(ctx: typer.Context, document_id: str,
              mode: str = typer.Option("smart", "--mode", help="all, smart or add_new"),
              engines: str | None = typer.Option(None, "--engines", help="Comma-separated."),
              no_backup: bool = typer.Option(False, "--no-backup",
                                            help="smart: skip the backup of validated ones."),
              wait: bool = WAIT, run: bool = RUN) -> None:
    """Start reprocess_connections for a document."""

    async def go(dock: Dock) -> None:
        job = await ConnectionService.of(dock).reprocess(
            document_id, mode, engines.split(",") if engines else None,
            backup_first=not no_backup)
        await _follow(dock, job, wait, run)

    run_with_dock(ctx, go)

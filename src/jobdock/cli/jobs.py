"""``jobdock jobs …``: list, show, watch and steer jobs (every change goes through admin)."""

from __future__ import annotations

import sys

import typer

from jobdock.admin import InvalidRequest, JobFilter
from jobdock.admin.paging import decode_cursor, iter_jobs, job_page
from jobdock.app import Dock
from jobdock.cli.common import console, err_console, fail, print_json, run_with_dock
from jobdock.cli.render import job_detail, job_detail_text, jobs_table, plain_line
from jobdock.jobs.model import JobStatus

app = typer.Typer(help="List, show, watch and steer jobs.", no_args_is_help=True)

JSON_OPTION = typer.Option(False, "--json", help="Print job objects as JSON.")


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: list[str] = typer.Option([], "--status", help="Filter by status (repeatable)."),
    job_type: str | None = typer.Option(None, "--type", help="Filter by job type."),
    stage: str | None = typer.Option(None, "--stage", help="Filter by current stage."),
    user_id: str | None = typer.Option(None, "--user-id", help="Only this user's jobs."),
    text: str | None = typer.Option(None, "--search", help="Text search."),
    limit: int = typer.Option(50, "--limit", min=1, max=500, help="Jobs per page."),
    after: str | None = typer.Option(None, "--after", help="Start after this cursor (printed "
                                                          "under a page that has more)."),
    every: bool = typer.Option(False, "--all", help="Every matching job, page by page."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List jobs, newest first: a table at a terminal, one tab-separated line a job when piped."""
    bad = [s for s in status if s not in {x.value for x in JobStatus}]
    if bad:
        fail(f"unknown status {bad[0]!r} (use: {', '.join(s.value for s in JobStatus)})")
    f = JobFilter(statuses=tuple(status) or None, job_type=job_type, stage=stage,
                  user_id=user_id, text=text, limit=limit,
                  after=decode_cursor(after) if after else None)

    async def go(dock: Dock) -> None:
        if every:
            jobs = [job async for job in iter_jobs(dock.admin, f)]
            cursor = None
        else:
            jobs, cursor = await job_page(dock.admin, f)
        if as_json:
            print_json([j.to_dict() for j in jobs])
        elif console.is_terminal:
            console.print(jobs_table(jobs, console.width) if jobs else "no jobs")
        else:
            sys.stdout.write("".join(plain_line(j) + "\n" for j in jobs))
        if cursor:
            err_console.print(f"more: jobdock jobs list --after {cursor} (or --all)",
                              highlight=False, soft_wrap=True)

    try:
        run_with_dock(ctx, go, job_types=False)
    except InvalidRequest as exc:
        fail(str(exc))


@app.command("show")
def show(ctx: typer.Context, job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one job."""

    async def go(dock: Dock) -> None:
        job = await dock.admin.get_job(job_id)
        if as_json:
            print_json(job.to_dict())
        elif not console.is_terminal:
            sys.stdout.write(job_detail_text(job))
        else:
            console.print(job_detail(job))

    run_with_dock(ctx, go, job_types=False)


def _action(ctx: typer.Context, job_id: str, verb: str, as_json: bool) -> None:
    async def go(dock: Dock) -> None:
        job = await dock.admin.apply(verb, job_id)
        if as_json:
            print_json(job.to_dict())
        else:
            console.print(f"job {job.id} is now {job.status}")

    run_with_dock(ctx, go, job_types=False)


@app.command()
def pause(ctx: typer.Context, job_id: str,
          reason: str | None = typer.Option(None, "--reason", help="Why (shown in the UI)."),
          as_json: bool = JSON_OPTION) -> None:
    """Pause a job (a running one stops at its next safe point)."""

    async def go(dock: Dock) -> None:
        job = await dock.admin.pause_job(job_id, reason)
        if as_json:
            print_json(job.to_dict())
        elif job.status is JobStatus.PROCESSING:
            console.print(f"job {job.id} will pause at its next safe point")
        else:
            console.print(f"job {job.id} is now {job.status}")

    run_with_dock(ctx, go, job_types=False)


@app.command()
def resume(ctx: typer.Context, job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Resume a paused job from its last checkpoint."""
    _action(ctx, job_id, "resume", as_json)


@app.command("fail")
def force_fail(ctx: typer.Context, job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Fail a job for good (a running one stops at its next safe point)."""
    _action(ctx, job_id, "fail", as_json)


@app.command()
def retry(ctx: typer.Context, job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Re-queue a failed or cancelled job now; it resumes from its checkpoint."""
    _action(ctx, job_id, "retry", as_json)


@app.command()
def cancel(ctx: typer.Context, job_id: str, as_json: bool = JSON_OPTION) -> None:
    """Cancel a job and delete it with everything it stored."""

    async def go(dock: Dock) -> None:
        result = await dock.admin.cancel_and_delete_job(job_id)
        if as_json:
            print_json(result)
        elif result["deleted"]:
            console.print(f"job {job_id} deleted ({result['files_deleted']} file(s) removed)")
        else:
            console.print(f"job {job_id} will stop at its next safe point and be deleted")

    run_with_dock(ctx, go, job_types=False)


@app.command()
def clear(ctx: typer.Context,
          completed: bool = typer.Option(False, "--completed", help="Delete completed jobs."),
          failed: bool = typer.Option(False, "--failed", help="Delete failed jobs."),
          user_id: str | None = typer.Option(None, "--user-id", help="Only this user's jobs."),
          as_json: bool = JSON_OPTION) -> None:
    """Delete completed and/or failed jobs with their intermediate files."""
    if not (completed or failed):
        fail("say what to clear: --completed and/or --failed")

    async def go(dock: Dock) -> None:
        result = {}
        if completed:
            result["completed"] = await dock.admin.clear_completed_jobs(user_id)
        if failed:
            result["failed"] = await dock.admin.clear_failed_jobs(user_id)
        if as_json:
            print_json(result)
        else:
            console.print(", ".join(f"cleared {n} {status}" for status, n in result.items()))

    run_with_dock(ctx, go, job_types=False)


@app.command()
def watch(ctx: typer.Context, job_id: str | None = typer.Argument(
        None, help="One job to follow; default: every active job."),
        interval: float = typer.Option(0.5, "--interval", help="Seconds between refreshes.")
) -> None:
    """Follow jobs live with progress bars (Ctrl-C to stop)."""
    from jobdock.cli.watch import watch_jobs

    run_with_dock(ctx, lambda dock: watch_jobs(dock, job_id, interval), job_types=False)


@app.command("bulk")
def bulk(
    ctx: typer.Context,
    action: str = typer.Argument(..., help="pause, resume, cancel or retry."),
    status: list[str] = typer.Option([], "--status", help="Filter by status (repeatable)."),
    job_type: str | None = typer.Option(None, "--type", help="Filter by job type."),
    stage: str | None = typer.Option(None, "--stage", help="Filter by current stage."),
    user_id: str | None = typer.Option(None, "--user-id", help="Only this user's jobs."),
    text: str | None = typer.Option(None, "--search", help="Text search."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Apply an action to every job the filters select (in batches; each job's own rules
    apply: a job the action does not fit is skipped)."""
    f = JobFilter(statuses=tuple(status) or None, job_type=job_type, stage=stage,
                  user_id=user_id, text=text)

    async def go(dock: Dock) -> None:
        result = await dock.admin.bulk(action, f)
        if as_json:
            print_json(result)
        else:
            console.print(f"{action}: {result['done']} of {result['matched']} matching job(s),"
                          f" {result['skipped']} skipped")

    run_with_dock(ctx, go, job_types=False)

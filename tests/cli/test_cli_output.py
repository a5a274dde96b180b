"""What a person reads from ``jobs list`` and ``jobs show`` (issue 14, items 1, 4 and 5)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from jobdock.app import Dock
from jobdock.cli.render import job_detail, jobs_table
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def run_cli(tmp_path: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBDOCK_")}
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'jobdock.db'}", "--storage-url", str(tmp_path / "storage"),
         *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def insert_jobs(tmp_path: Path, count: int) -> None:
    async def go() -> None:
        dock = await Dock.open(Settings(database_url=f"sqlite:///{tmp_path / 'jobdock.db'}",
                                        storage_url=str(tmp_path / "storage")))
        try:
            await dock.admin.submit_many([NewJob("staged_sleep", {"n": i}) for i in range(count)])
        finally:
            await dock.close()

    asyncio.run(go())


def test_job_module_is_found_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "mytypes_here.py").write_text(
        "import jobdock\n\n@jobdock.job_type('hello_here')\ndef hello(ctx):\n"
        "    return {'hi': 1}\n")
    result = run_cli(tmp_path, "--import", "mytypes_here", "submit", "hello_here",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No module named" not in result.stderr


def test_piped_list_is_one_plain_greppable_line_per_job(tmp_path: Path) -> None:
    insert_jobs(tmp_path, 3)
    result = run_cli(tmp_path, "jobs", "list")
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(line.split("\t")[1] == "pending" for line in lines)
    assert "\x1b[" not in result.stdout and "…" not in result.stdout


def test_list_pages_with_a_cursor_and_all_lists_past_500(tmp_path: Path) -> None:
    insert_jobs(tmp_path, 520)
    first = run_cli(tmp_path, "jobs", "list", "--limit", "500")
    assert len(first.stdout.splitlines()) == 500
    cursor = first.stderr.split("--after ")[1].split()[0]
    rest = run_cli(tmp_path, "jobs", "list", "--limit", "500", "--after", cursor)
    assert len(rest.stdout.splitlines()) == 20 and "--after" not in rest.stderr
    ids = {line.split("\t")[0] for line in first.stdout.splitlines() + rest.stdout.splitlines()}
    assert len(ids) == 520
    every = run_cli(tmp_path, "jobs", "list", "--all", "--json")
    assert len(json.loads(every.stdout)) == 520


def _render(renderable: object, width: int = 80) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(renderable)
    return out.getvalue()


async def test_terminal_table_fits_80_columns_without_cutting_ids_or_statuses(dock: Dock) -> None:
    jobs = []
    for status in ("pending", "completed"):
        job = await dock.admin.submit(NewJob("staged_sleep", user_id="ann" * 20))
        job.status = status  # type: ignore[assignment]
        job.job_type = "a_really_long_job_type_name_for_wrapping"
        jobs.append(job)
    retrying = await dock.admin.submit(NewJob("staged_sleep"))
    retrying.status, retrying.next_retry_at = JobStatus.FAILED, datetime.now(UTC) + \
        timedelta(seconds=30)
    jobs.append(retrying)
    text = _render(jobs_table(jobs, 80))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "completed" in text and "pending" in text and "…" not in text
    assert "retry in 2" in text and "age" in text.splitlines()[0]
    assert all(str(j.id) in text for j in jobs)


async def test_show_prints_json_input_and_no_stale_pause_on_a_completed_job(dock: Dock) -> None:
    job = await dock.admin.submit(NewJob("staged_sleep", {"stages": 2, "name": "x"}))
    job.status, job.paused_at, job.pause_reason = "completed", datetime.now(UTC), "lunch"  # type: ignore[assignment]
    job.completed_at = datetime.now(UTC) + timedelta(seconds=1)
    text = _render(job_detail(job), 100)
    assert '"stages": 2' in text and "'stages'" not in text
    assert "lunch" not in text and "paused" not in text

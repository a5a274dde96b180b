"""Issue 4: ``jobs fail`` and ``jobs retry`` on a job whose status forbids it exit 2
with a one-line reason (in-process, through Typer's CliRunner)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jobdock.app import Dock
from jobdock.cli.main import app
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings


async def _job_in(settings: Settings, status: JobStatus) -> uuid.UUID:
    dock = await Dock.open(settings)
    try:
        job = await dock.admin.submit(NewJob("noop"))
        if status is not JobStatus.PENDING:
            now = dock.clock.now()
            await dock.store.job_claim("w", 1, None, now)
            if status is JobStatus.COMPLETED:
                assert await dock.store.job_complete(job.id, "w", None, {}, now)
        return job.id
    finally:
        await dock.close()


@pytest.mark.parametrize(("verb", "status", "reason"), [
    ("fail", JobStatus.COMPLETED, "only pending, processing or paused jobs can be failed"),
    ("retry", JobStatus.PENDING, "only failed or cancelled jobs can be retried"),
    ("retry", JobStatus.PROCESSING, "only failed or cancelled jobs can be retried"),
    ("retry", JobStatus.COMPLETED, "only failed or cancelled jobs can be retried"),
])
def test_cli_refuses_an_illegal_fail_or_retry_with_exit_2_and_one_line(
        settings: Settings, tmp_path: Path, verb: str, status: JobStatus, reason: str) -> None:
    job_id = asyncio.run(_job_in(settings, status))
    result = CliRunner().invoke(app, [
        "--database-url", settings.resolved_database_url(),
        "--storage-url", settings.resolved_storage_url(), "jobs", verb, str(job_id)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"error: cannot {verb} job {job_id}: it is {status}; {reason}"]
    assert result.stdout == ""

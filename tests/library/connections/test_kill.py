"""SIGKILL the worker in the middle of an engine: another worker rescues the job, resumes
at the batch after the last cursor, and the saved connections equal an uninterrupted
run's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.library.connections import detect
from jobdock.settings import Settings
from tests.library.connections import slow_detect
from tests.library.connections.stored import USER, completed, connection_rows, run_job, store_corpus
from tests.support.engine import wait_status
from tests.support.processes import read_lines, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]
WAGE = "wage-raise-helps"
ROOT = Path(__file__).resolve().parents[3]  # the repository: where `tests` imports from


def _worker(url: str, storage: Path) -> subprocess.Popen[bytes]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.Popen(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url", url, "--storage-url",
         str(storage), "--import", "tests.library.connections.slow_detect", "worker",
         "--log-level", "warning", "--heartbeat-timeout", "1"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": path}, stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait(timeout=10)


async def test_sigkill_mid_engine_then_rescue_saves_the_same_connections(
        dock: Dock, settings: Settings, tmp_path: Path) -> None:
    if "test_detect_slow" not in dock.registry:  # what the worker processes --import
        dock.registry.job_type("test_detect_slow", stages=detect.STAGES)(
            slow_detect.slow_detect)
    await store_corpus(dock)
    completed(await run_job(dock, "detect_connections", {"batch_size": 1}, WAGE))
    reference = await connection_rows(dock)
    await dock.store.execute("DELETE FROM connections", {})

    trace = tmp_path / "trace"
    job = await dock.admin.submit(NewJob(
        "test_detect_slow", {"document_id": WAGE, "batch_size": 1, "trace": str(trace)},
        user_id=USER, entity_type="document", entity_id=WAGE))
    url, storage = settings.resolved_database_url(), Path(settings.storage_url)
    first = _worker(url, storage)
    second = None
    try:
        wait_until(lambda: any(line[:2] == ["contradiction_detection", "2"]
                               for line in read_lines(trace)), 60, "mid contradiction")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        killed = await dock.admin.get_job(job.id)
        assert killed.status is JobStatus.PROCESSING, "nobody has rescued it yet"
        assert await connection_rows(dock) == {}  # nothing saved before the saving stage
        second = _worker(url, storage)
        done = await wait_status(dock, job.id, JobStatus.COMPLETED, JobStatus.FAILED,
                                 timeout=90)
    finally:
        _stop(first)
        _stop(second)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.metadata["rescue_count"] == 1
    assert await connection_rows(dock) == reference
    lines = read_lines(trace)
    after = [(engine, int(n)) for engine, n, pid in lines if int(pid) == second.pid]
    # the second worker starts at most one batch before where the first was killed
    assert after[0][0] == "contradiction_detection" and after[0][1] >= 2
    assert ("semantic_similarity", 1) not in after

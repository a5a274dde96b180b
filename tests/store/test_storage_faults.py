"""A full disk or a read-only file system is a transient fault (issue 12, defect 3).

The storage root is a real tmpfs mounted for the test, filled up (ENOSPC) or remounted
read-only (EROFS) while a job runs; clearing the fault lets the job's retry finish with
the digest of an uninterrupted run. The web answers 507/503 meanwhile, not a bare 500.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from jobdock.settings import Settings
from jobdock.worker import WorkerSettings
from tests.support.engine import FAST, running, wait_for

SLEEP = {"stages": 3, "steps_per_stage": 3, "step_seconds": 0.01}
# Retry after ~1 s: enough to see the transient failure, short enough for a test.
RETRY = {"retry_policy": {"base_seconds": 1.0, "cap_seconds": 1.0, "jitter": 0.0}}


class SmallDisk:
    """A 256 KiB tmpfs: fill it (ENOSPC), or remount it read-only (EROFS)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.filler = path / "filler.bin"

    def fill(self) -> None:
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)

    def read_only(self, on: bool) -> None:
        mode = "ro" if on else "rw"
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)

    def fault(self, kind: str) -> None:
        self.fill() if kind == "full" else self.read_only(True)

    def clear(self, kind: str) -> None:
        self.filler.unlink() if kind == "full" else self.read_only(False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    root = tmp_path / "storage"
    root.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(root)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield SmallDisk(root)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            subprocess.run(["umount", "-l", str(root)], check=True)


@pytest.fixture
async def disk_dock(database_url: str, small_disk: SmallDisk, tmp_path: Path):  # type: ignore[no-untyped-def]
    import tests.support.jobtypes  # noqa: F401 - registers the test job types

    settings = Settings(database_url=database_url, storage_url=str(small_disk.path),
                        home=tmp_path / "home")
    dock = await Dock.open(settings)
    try:
        yield dock
    finally:
        await dock.close()


@pytest.mark.parametrize("kind", ["full", "read-only"])
async def test_storage_fault_is_transient_and_the_retry_completes(
        disk_dock: Dock, small_disk: SmallDisk, kind: str) -> None:
    dock = disk_dock
    small_disk.fault(kind)
    job = await dock.admin.submit(NewJob("staged_sleep", SLEEP, metadata=RETRY))
    worker = dock.worker(WorkerSettings(maintenance_interval=0.05, **FAST))  # type: ignore[arg-type]
    async with running(worker):
        async def failed_once() -> bool:
            row = await dock.store.job_get(job.id)
            return row is not None and row.status is JobStatus.FAILED
        await wait_for(failed_once, 30, "the job to fail on the storage fault")
        row = await dock.store.job_get(job.id)
        assert row is not None
        assert row.error_type is ErrorType.TRANSIENT, row.error_message
        assert row.next_retry_at is not None, "a transient failure schedules a retry"
        small_disk.clear(kind)

        async def completed() -> bool:
            row = await dock.store.job_get(job.id)
            return row is not None and row.status is JobStatus.COMPLETED
        await wait_for(completed, 30, "the retry to complete once the fault cleared")
    row = await dock.store.job_get(job.id)
    assert row is not None and row.retry_count >= 1
    assert row.output_data["digest"] == expected_digest(3, 3)


@pytest.mark.parametrize(("kind", "status"), [("full", 507), ("read-only", 503)])
async def test_web_answers_a_storage_fault_clearly(
        disk_dock: Dock, small_disk: SmallDisk, kind: str, status: int) -> None:
    from jobdock.web.app import create_app

    # fails at stage 2 and keeps stage 1's checkpoint: deleting the job deletes that file
    job = await disk_dock.admin.submit(NewJob("staged_sleep", {**SLEEP, "fail_permanent_at": 1}))
    await disk_dock.worker(WorkerSettings(burst=True, maintenance=False, **FAST)).run()  # type: ignore[arg-type]
    app = create_app(disk_dock)
    small_disk.fault(kind)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        if kind == "full":
            answer = await client.post("/api/documents", files={
                "file": ("notes.md", b"# Notes\n\n" + b"words " * 50_000, "text/markdown")})
        else:  # deleting a job deletes its files: the read-only disk refuses
            answer = await client.post(f"/api/jobs/{job.id}/cancel")
    assert answer.status_code == status, answer.text
    assert "storage" in answer.json()["detail"].lower()


@pytest.mark.parametrize(("message", "unavailable"), [
    ("Server returned non-2xx status code: 503 Service Unavailable", True),
    ("Server returned non-2xx status code: 500 Internal Server Error", True),
    ("SlowDown: Please reduce your request rate.", True),
    ("error sending request: operation timed out", True),
    ("Server returned non-2xx status code: 403 Forbidden", False),
])
def test_s3_5xx_throttling_and_timeouts_are_unavailable(message: str, unavailable: bool) -> None:
    from obstore.exceptions import GenericError

    from jobdock.jobs.errors import classify
    from jobdock.storage import StorageError, StorageUnavailable
    from jobdock.storage.s3 import _obstore_errors

    with pytest.raises(StorageError) as caught, _obstore_errors("put", "jobs/x/a.json"):
        raise GenericError(message)
    assert isinstance(caught.value, StorageUnavailable) is unavailable
    assert (classify(caught.value).error_type is ErrorType.TRANSIENT) is unavailable

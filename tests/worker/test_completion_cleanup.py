"""A completed job's intermediate files are deleted by the worker that completed it, even
when that completion's answer was lost (found with the multi-host rig).

The rig cuts a worker host off from Postgres mid-run. A completion whose statement
reached Postgres and committed just before the cut, its answer lost on the way back, is
retried once the link returns: the retry finds the job ``completed`` already (by this
very worker) and changes nothing, so the worker took the job for "no longer ours" and
skipped the cleanup. The job's checkpoints stayed in the object store until a
maintenance sweep, up to a minute later. Here the lost answer is made exactly: the real
statement runs and commits on the real database, then the call raises the outage error a
cut-off connection raises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

import tests.support.jobtypes_engine  # noqa: F401  (registers engine_files*)
from jobdock.app import Dock
from jobdock.jobs.model import Job, JobStatus, NewJob
from jobdock.settings import Settings
from jobdock.store import StoreUnavailable
from jobdock.worker import WorkerSettings
from tests.multihost.rig import ROOT
from tests.support.engine import FAST, running, wait_for, wait_status


def _lose_first_answer(dock: Dock, monkeypatch: pytest.MonkeyPatch) -> list[set[uuid.UUID]]:
    """The next completion commits, then its caller hears an outage instead of the answer:
    recorded on its own by the completer, or with the claim loop's next claim."""
    committed: list[set[uuid.UUID]] = []
    real_many, real_and_claim = dock.store.job_complete_many, dock.store.job_complete_and_claim

    def lose(won: set[uuid.UUID]) -> None:
        if won and not committed:
            committed.append(won)
            raise StoreUnavailable("connection lost (the answer, after the commit)")

    async def complete_many(worker_id: str,
                            results: Sequence[tuple[uuid.UUID, Any, dict[str, Any] | None]],
                            now: datetime) -> set[uuid.UUID]:
        won = await real_many(worker_id, results, now)
        lose(won)
        return won

    async def complete_and_claim(*args: Any, **kwargs: Any) -> tuple[set[uuid.UUID], list[Job]]:
        won, jobs = await real_and_claim(*args, **kwargs)
        lose(won)
        return won, jobs

    monkeypatch.setattr(dock.store, "job_complete_many", complete_many)
    monkeypatch.setattr(dock.store, "job_complete_and_claim", complete_and_claim)
    return committed


@pytest.mark.parametrize("job_type,left", [
    ("engine_files", ["documents/ann/d1/chunks.json"]),
    # a type that keeps its intermediates keeps them, answer lost or not
    ("engine_files_kept", ["documents/ann/d1/chunks.json", "documents/ann/d1/stage-chunk.json",
                           "documents/ann/d1/stage-extract.json"]),
])
async def test_a_completion_whose_answer_was_lost_still_cleans_up(
        dock: Dock, monkeypatch: pytest.MonkeyPatch, job_type: str, left: list[str]) -> None:
    committed = _lose_first_answer(dock, monkeypatch)
    job = await dock.admin.submit(NewJob(job_type, user_id="ann", entity_type="document",
                                         entity_id="d1"))
    # no maintenance: the sweeper must not be the one that cleans up
    worker = dock.worker(WorkerSettings(maintenance=False, **FAST))  # type: ignore[arg-type]
    async with running(worker):
        done = await wait_status(dock, job.id, JobStatus.COMPLETED)
        # the commit is visible before the call that made it returns
        await wait_for(lambda: bool(committed), 10, "the completion's lost answer")
        assert committed == [{job.id}], "the completion did not go through the lost answer"
        assert done.worker_id == worker.worker_id
        await wait_for(lambda: not worker.executor.following, 30, "the completion's follow-up")
        await wait_for(lambda: dock.storage.list("documents/ann/d1") == left, 10,
                       f"only {left} to be left")
    assert [k for k, _ in await dock.store.file_list(job.id)] == left


# ---- a cleanup that meets an outage is retried, not left to the maintenance sweep --------

@pytest.fixture
def flaky_s3(tmp_path: Path) -> Iterator[FlakyS3]:
    """moto's S3 server behind the multi-host rig's fault proxy (a real HTTP hop)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                 aws_access_key_id="k", aws_secret_access_key="s").create_bucket(
        Bucket="cleanup")
    s3 = FlakyS3(tmp_path / "faults.json", tmp_path / "stats.json", tmp_path / "port")
    s3.set_faults()
    proxy = subprocess.Popen(
        [sys.executable, "-m", "tests.multihost.faultproxy", "--listen", "127.0.0.1:0",
         "--upstream", f"{host}:{port}", "--faults", str(s3.faults), "--stats", str(s3.stats),
         "--port-file", str(s3.port_file)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while not (s3.port_file.exists() and s3.port_file.read_text()):
            assert proxy.poll() is None and time.monotonic() < deadline, "the proxy did not start"
            time.sleep(0.05)
        yield s3
    finally:
        proxy.kill()
        proxy.wait(10)
        server.stop()


@dataclass
class FlakyS3:
    faults: Path
    stats: Path
    port_file: Path

    @property
    def url(self) -> str:
        return (f"s3://cleanup?endpoint=http://127.0.0.1:{self.port_file.read_text()}"
                "&allow_http=true&access_key=k&secret_key=s")

    def set_faults(self, **faults: float | str) -> None:
        tmp = self.faults.with_suffix(".tmp")
        tmp.write_text(json.dumps(faults))
        os.replace(tmp, self.faults)

    def counted(self, what: str) -> int:
        try:
            return int(json.loads(self.stats.read_text())[what])
        except (OSError, ValueError, KeyError):
            return 0


async def test_a_cleanup_meeting_an_unavailable_object_store_is_retried(
        database_url: str, tmp_path: Path, flaky_s3: FlakyS3) -> None:
    """Every bulk delete (``POST ?delete``) answers 503 SlowDown until obstore gives up
    (10 retries); then the store recovers. The completion's cleanup tries again and
    finishes; before, its error was logged and the checkpoints stayed for the sweep."""
    flaky_s3.set_faults(error503=1.0, methods="POST")
    dock = await Dock.open(Settings(database_url=database_url, storage_url=flaky_s3.url,
                                    home=tmp_path / "home"))
    try:
        job = await dock.admin.submit(NewJob("engine_files", user_id="ann",
                                             entity_type="document", entity_id="d1"))
        worker = dock.worker(WorkerSettings(maintenance=False, **FAST))  # type: ignore[arg-type]
        async with running(worker):
            await wait_status(dock, job.id, JobStatus.COMPLETED)
            # obstore's first request and its 10 retries all answered 503
            await wait_for(lambda: flaky_s3.counted("error503") >= 11, 60,
                           "the cleanup's bulk delete to give up once")
            flaky_s3.set_faults()
            await wait_for(lambda: dock.storage.list("documents/ann/d1") ==
                           ["documents/ann/d1/chunks.json"], 60, "the cleanup to finish")
            await wait_for(lambda: not worker.executor.following, 30, "the follow-up")
        assert await dock.store.file_list(job.id) == [("documents/ann/d1/chunks.json", True)]
    finally:
        await dock.close()


async def test_a_cleanup_meeting_a_database_outage_is_retried(
        dock: Dock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cleanup's first reads of the file records meet an outage (the error a lost
    connection raises, injected in front of the real query)."""
    real, failures = dock.store.file_list, []

    async def file_list(job_id: uuid.UUID) -> list[tuple[str, bool]]:
        if len(failures) < 2:
            failures.append(job_id)
            raise StoreUnavailable("connection lost")
        return await real(job_id)

    monkeypatch.setattr(dock.store, "file_list", file_list)
    job = await dock.admin.submit(NewJob("engine_files", user_id="ann", entity_type="document",
                                         entity_id="d1"))
    worker = dock.worker(WorkerSettings(maintenance=False, **FAST))  # type: ignore[arg-type]
    async with running(worker):
        await wait_status(dock, job.id, JobStatus.COMPLETED)
        # the status is visible before the worker hears its completion went through and
        # starts the cleanup: wait for the cleanup itself, not for an idle moment before it
        await wait_for(lambda: len(failures) == 2, 30, "the cleanup to meet both outages")
        await wait_for(lambda: dock.storage.list("documents/ann/d1") ==
                       ["documents/ann/d1/chunks.json"], 30, "the retried cleanup to finish")
        await wait_for(lambda: not worker.executor.following, 30, "the completion's follow-up")
        assert failures == [job.id, job.id]

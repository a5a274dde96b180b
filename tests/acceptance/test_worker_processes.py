"""End to end with real worker processes (``jobdock worker`` subprocesses).

Exactly-once under concurrency; pause/resume across two workers; SIGKILL (rescue from
the last checkpoint, a document mid-embeddings included); SIGTERM (checkpoint, back to
pending, within the grace period).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.library.service import DocumentService
from jobdock.settings import Settings
from tests.fixtures import make_fixtures
from tests.support.documents import drain as drain_documents
from tests.support.documents import final_job
from tests.support.engine import all_steps, drain, steps_of, trace_lines, wait_for, wait_status
from tests.support.processes import read_lines, start_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]


def sleep_job(trace: Path, steps: int = 10, step_seconds: float = 0.03) -> NewJob:
    return NewJob("staged_sleep", {"stages": 8, "steps_per_stage": steps,
                                   "step_seconds": step_seconds, "trace_file": str(trace)})


def stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)


async def _pid_segments(trace: Path, job_id: uuid.UUID) -> int:
    pids = [pid for j, _, _, pid in trace_lines(trace) if j == str(job_id)]
    return 1 + sum(1 for a, b in itertools.pairwise(pids) if a != b)


@pytest.mark.postgres
async def test_twenty_jobs_on_two_workers_paused_at_random_and_resumed(
        pg_url: str, tmp_path: Path) -> None:
    storage, trace = tmp_path / "storage", tmp_path / "trace"
    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(storage)))
    workers: list[subprocess.Popen[bytes]] = []
    try:
        ids = [(await dock.admin.submit(sleep_job(trace, step_seconds=0.02))).id
               for _ in range(20)]
        rng = random.Random(20)
        chosen = rng.sample(ids, 10)
        moments = sorted(rng.uniform(0.0, 1.0) for _ in chosen)
        workers = [start_worker(pg_url, storage, "--concurrency", "5") for _ in range(2)]
        await wait_for(lambda: bool(trace_lines(trace)), 60, "the first step")
        started = asyncio.get_running_loop().time()
        for job_id, at in zip(chosen, moments, strict=True):
            # random moments of the scenario, not synchronisation
            await asyncio.sleep(max(0.0, started + at - asyncio.get_running_loop().time()))
            await dock.admin.pause_job(job_id, "random pause")
        for job_id in chosen:
            await wait_status(dock, job_id, JobStatus.PAUSED)
        for job_id in chosen:
            await dock.admin.resume_job(job_id)
        for job_id in ids:
            done = await wait_status(dock, job_id, JobStatus.COMPLETED, JobStatus.FAILED,
                                     timeout=60)
            assert done.status is JobStatus.COMPLETED, done.error_message
            assert done.output_data["digest"] == expected_digest(8, 10)
            # each step exactly once and in order: no step redone, and never two workers
            # on the job at once (they would both run the steps after the same cursor)
            assert steps_of(trace, job_id) == all_steps(8, 10)
            assert await _pid_segments(trace, job_id) <= 1 + done.resume_count
        assert {pid for *_, pid in trace_lines(trace)} == {w.pid for w in workers}
    finally:
        for w in workers:
            stop(w)
        await dock.close()


async def test_sigkilled_worker_job_resumes_from_its_last_checkpoint(
        dock: Dock, settings: Settings, tmp_path: Path) -> None:
    url, storage, trace = settings.resolved_database_url(), tmp_path / "storage", \
        tmp_path / "trace"
    job = await dock.admin.submit(sleep_job(trace))
    first = start_worker(url, storage, "--heartbeat-timeout", "1")
    second = None
    try:
        await wait_for(lambda: len(steps_of(trace, job.id)) >= 25, 60, "stage 3")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        before = steps_of(trace, job.id)
        killed = await dock.admin.get_job(job.id)
        assert killed.status is JobStatus.PROCESSING, "nobody has rescued it yet"
        second = start_worker(url, storage, "--heartbeat-timeout", "1")
        done = await wait_status(dock, job.id, JobStatus.COMPLETED, JobStatus.FAILED, timeout=60)
    finally:
        for w in (first, second):
            if w is not None:
                stop(w)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.output_data["digest"] == expected_digest(8, 10)
    assert done.metadata["rescue_count"] == 1
    after = [(s, k) for j, s, k, pid in trace_lines(trace)
             if j == str(job.id) and pid == second.pid]  # type: ignore[union-attr]
    assert sorted(set(before) | set(after)) == all_steps(8, 10)
    redone = set(before) & set(after)
    # only what followed the last safe point: at most the step in flight when killed
    assert redone <= {before[-1]} and len(after) == 80 - len(before) + len(redone)


async def test_sigterm_checkpoints_running_jobs_back_to_pending_then_another_finishes(
        dock: Dock, settings: Settings, tmp_path: Path) -> None:
    url, storage, trace = settings.resolved_database_url(), tmp_path / "storage", \
        tmp_path / "trace"
    ids = [(await dock.admin.submit(sleep_job(trace))).id for _ in range(3)]
    worker = start_worker(url, storage, "--concurrency", "3", "--grace", "10")
    try:
        for job_id in ids:
            await wait_for(lambda j=job_id: len(steps_of(trace, j)) >= 5, 60, "every job to run")
        worker.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(worker.wait, 30) == 0
    finally:
        stop(worker)
    for job_id in ids:
        job = await dock.admin.get_job(job_id)
        assert (job.status, job.worker_id, job.error_message) == (JobStatus.PENDING, None, None)
        assert job.progress["checkpoint"]["can_resume"] and job.last_checkpoint_path
    await drain(dock)  # another worker: this process
    for job_id in ids:
        done = await dock.admin.get_job(job_id)
        assert done.status is JobStatus.COMPLETED
        assert done.output_data["digest"] == expected_digest(8, 10)
        assert steps_of(trace, job_id) == all_steps(8, 10), "a step ran twice"
        pids = [pid for j, *_, pid in trace_lines(trace) if j == str(job_id)]
        assert pids[0] == worker.pid and pids[-1] == os.getpid()


# ---- many workers, exactly once; SIGKILL and SIGTERM on simple jobs -----------------
def _drain_with(n_workers: int, n_jobs: int, database_url: str, storage: Path,
                log: Path) -> None:
    workers = [start_worker(database_url, storage, "--burst", "--concurrency", "10")
               for _ in range(n_workers)]
    for w in workers:
        assert w.wait(timeout=240) == 0
    lines = read_lines(log)
    starts = Counter(line[1] for line in lines if line[0] == "start")
    ends = Counter(line[1] for line in lines if line[0] == "end")
    assert len(starts) == n_jobs, "a job was lost"
    assert set(starts.values()) == {1} and set(ends.values()) == {1}, "a job ran twice"
    assert len({line[2] for line in lines}) > 1, "only one worker process did any work"


@pytest.mark.postgres
async def test_four_postgres_workers_run_2000_jobs_exactly_once(pg_url: str,
                                                                tmp_path: Path) -> None:
    await _submit_and_drain(pg_url, tmp_path, n_workers=4, n_jobs=2000)


async def test_two_sqlite_workers_run_2000_jobs_exactly_once(sqlite_url: str,
                                                             tmp_path: Path) -> None:
    await _submit_and_drain(sqlite_url, tmp_path, n_workers=2, n_jobs=2000)


async def _submit_and_drain(url: str, tmp_path: Path, n_workers: int, n_jobs: int) -> None:
    log = tmp_path / "runs.log"
    dock = await Dock.open(Settings(database_url=url, storage_url=str(tmp_path / "s")))
    try:
        import tests.support.jobtypes  # noqa: F401

        # 20 ms a job: one worker alone needs seconds, longer than the others take to
        # start on a loaded machine (at 1 ms the first one drained it all before them)
        await dock.admin.submit_many([NewJob("test_record", {"log": str(log), "seconds": 0.02})
                                      for _ in range(n_jobs)])
        await asyncio.to_thread(_drain_with, n_workers, n_jobs, url, tmp_path / "s", log)
        counts = await dock.admin.counts()
        assert counts["completed"] == n_jobs, counts
        assert counts["processing"] == counts["pending"] == 0, counts
    finally:
        await dock.close()


async def test_sigkilled_worker_job_is_rescued_and_completed_by_another(
        dock: Dock, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, storage = settings.resolved_database_url(), tmp_path / "storage"
    started, release = tmp_path / "started", tmp_path / "release"
    job = await dock.admin.submit(NewJob("test_block", {"started": str(started),
                                                        "release": str(release)}))
    first = start_worker(url, storage, "--heartbeat-timeout", "1")
    await asyncio.to_thread(wait_until, started.exists, 60, "the job to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert (await dock.admin.get_job(job.id)).status is JobStatus.PROCESSING
    release.touch()
    second = start_worker(url, storage, "--heartbeat-timeout", "1")
    try:
        async def done() -> bool:
            return (await dock.admin.get_job(job.id)).status is JobStatus.COMPLETED
        deadline = time.monotonic() + 60
        while not await done():
            assert time.monotonic() < deadline, "the rescued job did not complete"
            await asyncio.sleep(0.05)
        finished = await dock.admin.get_job(job.id)
        assert finished.output_data == {"pid": second.pid}
        assert finished.metadata["rescue_count"] == 1
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)


@pytest.mark.parametrize("handler", ["safe_points", "no_safe_points"])
async def test_sigterm_exits_within_grace_and_leaves_nothing_processing(
        dock: Dock, settings, tmp_path: Path, handler: str) -> None:  # type: ignore[no-untyped-def]
    url, storage, started = settings.resolved_database_url(), tmp_path / "storage", \
        tmp_path / "started"
    if handler == "safe_points":
        new = NewJob("test_block", {"started": str(started)})
    else:  # sleeps 60 s without a safe point: must be handed back after the grace period
        new = NewJob("test_record", {"log": str(started), "seconds": 60})
    job = await dock.admin.submit(new)
    worker = start_worker(url, storage, "--grace", "2")
    await asyncio.to_thread(wait_until, started.exists, 60, "the job to start")
    worker.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(worker.wait, 2 + 10) == 0
    after = await dock.admin.get_job(job.id)
    assert after.status is JobStatus.PENDING and after.worker_id is None


# ---- a document worker SIGKILLed mid-embeddings ------------------------------------
SMALL_CHUNKS = {"target_tokens": 32, "max_tokens": 64, "embed_batch": 8}


async def test_sigkill_mid_embeddings_resumes_to_identical_chunks(
        dock: Dock, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "medium.pdf"
    make_fixtures.make_pdf(pdf, pages=12)
    doc, first = await DocumentService.of(dock).add("ann", pdf.name, pdf.read_bytes())
    await dock.admin.cancel_and_delete_job(first.id)

    async def process(job_type: str, extra: dict) -> NewJob:  # type: ignore[type-arg]
        return await dock.admin.submit(NewJob(
            job_type, {"document_id": doc["id"], **SMALL_CHUNKS, **extra}, user_id="ann",
            entity_type="document", entity_id=doc["id"]))

    reference_job = await process("process_document", {})
    await drain_documents(dock)
    assert (await final_job(dock, reference_job)).status is JobStatus.COMPLETED
    key = f"documents/ann/{doc['id']}/chunks.json"
    reference = dock.storage.get(key)
    assert reference is not None and len(reference) > 1000

    stalled = tmp_path / "stalled"
    job = await process("test_process_stalling", {"stalled": str(stalled)})
    url, storage = settings.resolved_database_url(), tmp_path / "storage"
    worker = start_worker(url, storage, "--heartbeat-timeout", "1")
    await asyncio.to_thread(wait_until, stalled.exists, 120, "the embeddings to stall")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    halfway = (await dock.admin.get_job(job.id))
    assert halfway.status is JobStatus.PROCESSING
    assert ".cursor-" in (halfway.last_checkpoint_path or ""), "no in-stage cursor was saved"
    rescuer = start_worker(url, storage, "--heartbeat-timeout", "1")
    try:
        deadline = time.monotonic() + 120
        while (await dock.admin.get_job(job.id)).status not in (JobStatus.COMPLETED,
                                                               JobStatus.FAILED):
            assert time.monotonic() < deadline, "the rescued job did not finish"
            await asyncio.sleep(0.05)
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(timeout=30)
    done = await dock.admin.get_job(job.id)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.metadata["rescue_count"] == 1
    assert dock.storage.get(key) == reference


"""Issue 3 end to end with real worker processes: pause/resume across two workers,
SIGKILL (rescue from the last checkpoint), SIGTERM (checkpoint, back to pending)."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import subprocess
import uuid
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.diagnostics import expected_digest
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings
from tests.engine.conftest import all_steps, drain, steps_of, trace_lines, wait_for, wait_status
from tests.processes import start_worker

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

"""Issue 3: pause a running staged_sleep anywhere; resume it to the digest of an
uninterrupted run, without redoing finished stages; checkpoints are verified by hash."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.interrupts import Interrupt
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.worker import Worker, WorkerSettings
from tests.support.documents import drain
from tests.support.engine import FAST, all_steps, running, steps_of, wait_for, wait_status
from tests.support.jobtypes_engine import Gate

STAGES, STEPS = 8, 4


def gated_job(gate: Gate, trace: Path, steps: int = STEPS) -> NewJob:
    return NewJob("engine_gated_sleep", {"gate": gate.name, "stages": STAGES,
                                         "steps_per_stage": steps, "step_seconds": 0,
                                         "trace_file": str(trace)})


def interrupt_seen(worker: Worker, job_id: uuid.UUID, reason: Interrupt) -> bool:
    job = worker.running.get(job_id)
    return job is not None and job.port.interrupt() is reason


def record_steps_when_heard(worker: Worker, trace: Path, reason: Interrupt) -> list[int]:
    """The number of traced steps at the moment the worker hands ``reason`` to a job.

    Requests are pushed now, so a job may pause before a poll of ``worker.running``
    ever sees the request: the moment is recorded where the worker delivers it."""
    seen: list[int] = []
    prepare = worker.executor.prepare

    def prepare_and_watch(job):  # type: ignore[no-untyped-def]
        run = prepare(job)
        request = run.port.request

        def watched(asked: Interrupt) -> None:
            if asked is reason and not seen:
                seen.append(len(steps_of(trace, job.id)))
            request(asked)

        run.port.request = watched  # type: ignore[method-assign]
        return run

    worker.executor.prepare = prepare_and_watch  # type: ignore[method-assign]
    return seen


@pytest.mark.parametrize("where", ["boundary", "mid-stage"])
@pytest.mark.parametrize("stage", range(STAGES))
async def test_pause_in_any_stage_resumes_to_the_uninterrupted_digest(
        dock: Dock, tmp_path: Path, stage: int, where: str) -> None:
    trace, gate = tmp_path / "trace", Gate(f"pause-{uuid.uuid4()}")
    name = f"part{stage + 1}"
    gate.stop_at = f"stage {name}" if where == "boundary" else f"step {name} 2"
    job = await dock.admin.submit(gated_job(gate, trace))
    worker = dock.worker(WorkerSettings(**FAST))
    async with running(worker):
        await wait_for(lambda: gate.reached(gate.stop_at or ""), what="the gate")
        requested = await dock.admin.pause_job(job.id, "test pause")
        assert requested.status is JobStatus.PROCESSING and requested.pause_requested_at
        await wait_for(lambda: interrupt_seen(worker, job.id, Interrupt.PAUSE), what="pause seen")
        seen = steps_of(trace, job.id)
        gate.open()
        paused = await wait_status(dock, job.id, JobStatus.PAUSED)
        done_before_pause = steps_of(trace, job.id)
        assert len(done_before_pause) - len(seen) <= 1, "more than one step ran after the pause"
        assert done_before_pause == all_steps(STAGES, STEPS)[:len(done_before_pause)]
        assert paused.worker_id is None and paused.pause_requested_at is None
        assert paused.pause_reason == "test pause" and paused.paused_at is not None
        if done_before_pause:
            assert paused.progress["checkpoint"]["can_resume"] is True
            assert paused.last_checkpoint_path and paused.checkpoint_hash
        await dock.admin.resume_job(job.id)
        done = await wait_status(dock, job.id, JobStatus.COMPLETED, JobStatus.FAILED)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.output_data["digest"] == expected_digest(STAGES, STEPS)
    assert steps_of(trace, job.id) == all_steps(STAGES, STEPS), "a finished step ran again"
    assert done.resume_count == 1 and done.resumed_at is not None


async def test_pause_takes_effect_within_one_step_of_being_seen(dock: Dock,
                                                                tmp_path: Path) -> None:
    """The real staged_sleep (no gate): once the worker has seen the request, the step in
    flight may finish, and no other."""
    trace = tmp_path / "trace"
    job = await dock.admin.submit(NewJob("staged_sleep", {
        "stages": 4, "steps_per_stage": 10, "step_seconds": 0.05, "trace_file": str(trace)}))
    worker = dock.worker(WorkerSettings(**FAST))
    seen = record_steps_when_heard(worker, trace, Interrupt.PAUSE)
    async with running(worker):
        await wait_for(lambda: len(steps_of(trace, job.id)) >= 13, what="stage 2 to start")
        await dock.admin.pause_job(job.id)
        await wait_status(dock, job.id, JobStatus.PAUSED)
        assert seen, "the worker never heard the pause"
        assert len(steps_of(trace, job.id)) - seen[0] <= 1
        await dock.admin.resume_job(job.id)
        done = await wait_status(dock, job.id, JobStatus.COMPLETED)
    assert done.output_data["digest"] == expected_digest(4, 10)
    assert steps_of(trace, job.id) == all_steps(4, 10)


async def test_pausing_a_pending_job_is_immediate(dock: Dock) -> None:
    job = await dock.admin.submit(NewJob("staged_sleep", {"stages": 2, "step_seconds": 0}))
    paused = await dock.admin.pause_job(job.id)
    assert paused.status is JobStatus.PAUSED and paused.paused_at is not None


async def test_altered_checkpoint_is_detected_and_its_stage_redone(
        dock: Dock, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    trace, gate = tmp_path / "trace", Gate(f"tamper-{uuid.uuid4()}")
    gate.stop_at = "stage part5"
    job = await dock.admin.submit(gated_job(gate, trace))
    worker = dock.worker(WorkerSettings(**FAST))
    async with running(worker):
        await wait_for(lambda: gate.reached("stage part5"), what="stage 5")
        await dock.admin.pause_job(job.id)
        await wait_for(lambda: interrupt_seen(worker, job.id, Interrupt.PAUSE), what="pause seen")
        gate.open()
        paused = await wait_status(dock, job.id, JobStatus.PAUSED)
        record = paused.metadata["checkpoints"]["part2"]
        path = Path(settings.resolved_storage_url()) / record["path"]
        assert record["path"] == f"jobs/{job.id}/stage-part2.json" and path.exists()
        envelope = json.loads(path.read_bytes())
        envelope["data"]["digest"] = "0" * 64  # still valid JSON, but not the bytes hashed
        path.write_text(json.dumps(envelope))
        await dock.admin.resume_job(job.id)
        done = await wait_status(dock, job.id, JobStatus.COMPLETED, JobStatus.FAILED)
    assert done.output_data["digest"] == expected_digest(STAGES, STEPS)
    ran = steps_of(trace, job.id)
    redone = [(1, k) for k in range(STEPS)]
    assert ran == all_steps(STAGES, STEPS)[:4 * STEPS] + redone + all_steps(STAGES, STEPS)[
        4 * STEPS:], "only the stage with the altered checkpoint is redone"
    assert not path.exists(), "intermediate checkpoints are removed on completion"


async def test_a_checkpoint_refused_by_accept_is_redone(dock: Dock) -> None:
    """A handler whose results changed format (process_document's work files) redoes a
    stage checkpointed by its older self instead of misreading it."""
    calls: list[int] = []

    def handler(ctx):  # type: ignore[no-untyped-def]
        version = 2 if ctx.job.resume_count else 1  # the handler as upgraded on resume

        def stage() -> dict[str, int]:
            calls.append(version)
            return {"format": version}

        result = ctx.run_stage("first", stage, accept=lambda r: r.get("format") == version)
        if not ctx.job.resume_count:
            ctx.port.request(Interrupt.PAUSE)
        ctx.run_stage("second", lambda: None)  # the pause is heard as it begins
        return result

    dock.registry.job_type("test_accept_format", stages=["first", "second"])(handler)
    job = await dock.admin.submit(NewJob("test_accept_format", {}))
    await drain(dock)
    assert (await dock.admin.get_job(job.id)).status is JobStatus.PAUSED
    await dock.admin.resume_job(job.id)
    await drain(dock)
    done = await dock.admin.get_job(job.id)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.output_data == {"format": 2} and calls == [1, 2]

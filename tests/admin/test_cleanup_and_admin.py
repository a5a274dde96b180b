"""Issue 3: cancel & delete, completion cleanup, coalesced progress, admin refusals,
per-user scoping."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from jobdock.admin import JobNotFound
from jobdock.app import Dock
from jobdock.jobs.interrupts import Interrupt
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.jobs.states import IllegalTransition
from jobdock.worker import WorkerSettings
from tests.support.engine import (
    FAST,
    drain,
    running,
    steps_of,
    stored_files,
    wait_for,
    wait_status,
)
from tests.support.jobtypes_engine import Gate
from tests.worker.test_pause_resume import gated_job, interrupt_seen


def storage_root(dock: Dock) -> Path:
    return Path(dock.settings.resolved_storage_url())


async def test_cancel_of_a_running_job_stops_it_and_deletes_row_and_files(
        dock: Dock, tmp_path: Path) -> None:
    trace, gate = tmp_path / "trace", Gate(f"cancel-{uuid.uuid4()}")
    gate.stop_at = "step part3 2"
    job = await dock.admin.submit(gated_job(gate, trace))
    worker = dock.worker(WorkerSettings(**FAST))
    async with running(worker):
        await wait_for(lambda: gate.reached("step part3 2"), what="stage 3")
        assert [k for k in stored_files(storage_root(dock)) if str(job.id) in k]
        result = await dock.admin.cancel_and_delete_job(job.id)
        assert result == {"id": str(job.id), "deleted": False, "files_deleted": 0}
        await wait_for(lambda: interrupt_seen(worker, job.id, Interrupt.CANCEL), what="seen")
        steps_seen = len(steps_of(trace, job.id))
        gate.open()

        async def gone() -> bool:
            return await dock.store.job_get(job.id) is None
        await wait_for(gone, what="the job row to be deleted")
    assert len(steps_of(trace, job.id)) == steps_seen, "it stopped at the next safe point"
    assert [k for k in stored_files(storage_root(dock)) if str(job.id) in k] == []
    assert await dock.store.file_list(job.id) == []


@pytest.mark.parametrize(("job_type", "kept"), [("engine_files", False),
                                                ("engine_files_kept", True)])
async def test_completion_removes_intermediate_checkpoints_unless_kept(
        dock: Dock, job_type: str, kept: bool) -> None:
    job = await dock.admin.submit(NewJob(job_type, user_id="ann", entity_type="document",
                                         entity_id="doc1"))
    await drain(dock)
    assert (await dock.admin.get_job(job.id)).status is JobStatus.COMPLETED
    prefix = "documents/ann/doc1"
    intermediates = [f"{prefix}/stage-chunk.json", f"{prefix}/stage-extract.json"]
    expected = sorted([f"{prefix}/chunks.json", *(intermediates if kept else [])])
    assert stored_files(storage_root(dock)) == expected


async def test_deleting_a_completed_job_keeps_final_files_only(dock: Dock) -> None:
    job = await dock.admin.submit(NewJob("engine_files_kept", user_id="ann",
                                         entity_type="document", entity_id="doc1"))
    await drain(dock)
    result = await dock.admin.cancel_and_delete_job(job.id)
    assert result == {"id": str(job.id), "deleted": True, "files_deleted": 2}
    assert stored_files(storage_root(dock)) == ["documents/ann/doc1/chunks.json"]
    assert await dock.store.job_get(job.id) is None


async def test_intermediates_are_removed_even_when_the_last_run_wrote_none(
        dock: Dock) -> None:
    """A job whose checkpoints were all written by an earlier run (then it was handed
    back) still has its intermediates removed on completion."""
    first = await dock.admin.submit(NewJob("engine_files", user_id="ann",
                                           entity_type="document", entity_id="doc1"))
    # Fabricate the earlier run: claimed, both stages checkpointed, then rescued.
    from jobdock.jobs.checkpoints import CheckpointRecord, encode_json, sha256_hex
    now = dock.clock.now()
    assert len(await dock.store.job_claim("gone-worker", 1, None, now)) == 1
    for stage, data in (("extract", {"text": "hello"}), ("chunk", {"chunks": ["hello"]})):
        key = f"documents/ann/doc1/stage-{stage}.json"
        raw = encode_json({"version": "1.0", "stage": stage, "complete": True, "data": data})
        await dock.store.file_add(first.id, key, False)
        dock.storage.put(key, raw)
        record = CheckpointRecord(stage, key, sha256_hex(raw), now.isoformat(), True)
        assert await dock.store.job_record_checkpoint(first.id, "gone-worker", record, {}, now)
    await dock.store.job_release(first.id, "gone-worker", {}, now)
    await drain(dock)
    assert (await dock.admin.get_job(first.id)).status is JobStatus.COMPLETED
    assert stored_files(storage_root(dock)) == ["documents/ann/doc1/chunks.json"]


async def test_progress_writes_are_coalesced_and_the_last_value_lands(dock: Dock) -> None:
    writes: list[float] = []
    real_fetch = dock.store.fetch

    async def counting_fetch(name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if name == "job_sync_progress":
            writes.append(time.monotonic())
        return await real_fetch(name, params)

    dock.store.fetch = counting_fetch  # type: ignore[method-assign]
    gate = Gate(f"progress-{uuid.uuid4()}")
    gate.stop_at = "updated"
    job = await dock.admin.submit(NewJob("engine_progress_spam", {"gate": gate.name}))
    interval = 0.05
    async with running(dock.worker(WorkerSettings(**{**FAST, "sync_interval": interval}))):
        await wait_for(lambda: gate.reached("updated"), what="100,000 updates")

        async def last_value_written() -> bool:
            row = await dock.store.job_get(job.id)
            return row is not None and row.progress.get("details") == "update 100000 of 100000"
        await wait_for(last_value_written, what="the last progress value in the database")
        row = await dock.store.job_get(job.id)
        assert row is not None and row.progress["percent"] == 100
        during = len(writes)
        gate.open()
        done = await wait_status(dock, job.id, JobStatus.COMPLETED)
    elapsed = done.output_data["elapsed"]
    assert 1 <= during <= elapsed / interval + 10, (during, elapsed)
    assert during < 1000


# ---- admin refusals and scoping ---------------------------------------------------------

async def _job_in(dock: Dock, status: JobStatus) -> uuid.UUID:
    job = await dock.admin.submit(NewJob("noop", user_id="ann"))
    now = dock.clock.now()
    if status is JobStatus.PENDING:
        return job.id
    if status is JobStatus.PAUSED:
        await dock.admin.pause_job(job.id)
        return job.id
    assert len(await dock.store.job_claim("w", 1, None, now)) == 1
    if status is JobStatus.COMPLETED:
        assert await dock.store.job_complete(job.id, "w", None, {}, now)
    elif status is JobStatus.FAILED:
        await dock.admin.force_fail_job(job.id)
    return job.id


@pytest.mark.parametrize(("status", "verb", "message"), [
    (JobStatus.COMPLETED, "pause", "only pending or processing jobs can be paused"),
    (JobStatus.FAILED, "pause", "only pending or processing jobs can be paused"),
    (JobStatus.PENDING, "resume", "only paused jobs can be resumed"),
    (JobStatus.PROCESSING, "resume", "only paused jobs can be resumed"),
    (JobStatus.COMPLETED, "fail", "only pending, processing or paused jobs can be failed"),
    (JobStatus.FAILED, "fail", "only pending, processing or paused jobs can be failed"),
    (JobStatus.PENDING, "retry", "only failed or cancelled jobs can be retried"),
    (JobStatus.COMPLETED, "retry", "only failed or cancelled jobs can be retried"),
])
async def test_admin_refuses_illegal_transitions_with_a_clear_message(
        dock: Dock, status: JobStatus, verb: str, message: str) -> None:
    job_id = await _job_in(dock, status)
    action = {"pause": dock.admin.pause_job, "resume": dock.admin.resume_job,
              "fail": dock.admin.force_fail_job, "retry": dock.admin.retry_job}[verb]
    with pytest.raises(IllegalTransition) as refused:
        await action(job_id)
    assert str(refused.value) == f"cannot {verb} job {job_id}: it is {status}; {message}"
    assert (await dock.admin.get_job(job_id)).status is status, "nothing changed"


@pytest.mark.parametrize("verb", ["get", "pause", "resume", "fail", "retry", "delete"])
async def test_another_users_job_is_not_found(dock: Dock, verb: str) -> None:
    job_id = await _job_in(dock, JobStatus.PAUSED)
    admin = dock.admin
    action = {"get": admin.get_job, "pause": admin.pause_job, "resume": admin.resume_job,
              "fail": admin.force_fail_job, "retry": admin.retry_job,
              "delete": admin.cancel_and_delete_job}[verb]
    with pytest.raises(JobNotFound, match=f"no job with id {job_id}"):
        await action(job_id, user_id="bob")  # type: ignore[operator]
    assert (await admin.get_job(job_id, user_id="ann")).status is JobStatus.PAUSED


@pytest.mark.parametrize("verb", ["pause", "fail", "delete"])
async def test_admin_action_on_a_pending_job_claimed_meanwhile_still_applies(
        dock: Dock, verb: str) -> None:
    """Regression: pausing a pending job that a worker claimed between the admin's read
    and its compare-and-set was refused ("it is processing; only pending ...")."""
    job = await dock.admin.submit(NewJob("noop"))
    real_fetch, raced = dock.store.fetch, []

    async def claim_right_after_the_read(name: str, params: dict[str, Any]) -> list[Any]:
        rows = await real_fetch(name, params)
        if name == "job_get" and not raced:
            raced.append(await dock.store.job_claim("w", 1, None, dock.clock.now()))
        return rows

    dock.store.fetch = claim_right_after_the_read  # type: ignore[method-assign]
    if verb == "pause":
        paused = await dock.admin.pause_job(job.id)
        assert paused.status is JobStatus.PROCESSING and paused.pause_requested_at
    elif verb == "fail":
        assert (await dock.admin.force_fail_job(job.id)).status is JobStatus.FAILED
    else:
        result = await dock.admin.cancel_and_delete_job(job.id)
        assert result["deleted"] is False
        assert (await dock.admin.get_job(job.id)).cancel_requested_at is not None
    assert len(raced) == 1 and raced[0][0].id == job.id


async def test_a_job_asked_to_cancel_that_finishes_before_a_safe_point_is_still_deleted(
        dock: Dock) -> None:
    """Regression: the cancel request was seen, but the handler returned without another
    safe point; the job was recorded as completed and never deleted."""
    gate = Gate(f"cancel-late-{uuid.uuid4()}")
    gate.stop_at = "waiting"
    job = await dock.admin.submit(NewJob("engine_wait", {"gate": gate.name}))
    worker = dock.worker(WorkerSettings(**FAST))
    async with running(worker):
        await wait_for(lambda: gate.reached("waiting"), what="the handler")
        assert (await dock.admin.cancel_and_delete_job(job.id))["deleted"] is False
        await wait_for(lambda: interrupt_seen(worker, job.id, Interrupt.CANCEL), what="seen")
        gate.open()

        async def gone() -> bool:
            return await dock.store.job_get(job.id) is None
        await wait_for(gone, what="the job row to be deleted")

"""Issue 9: the checkpoint pointer has one home, the ``last_checkpoint_*`` columns;
``progress.checkpoint`` is derived from them on read, never stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jobdock.app import Dock
from jobdock.jobs.checkpoints import CheckpointRecord
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.worker import WorkerSettings
from tests.support.engine import FAST, running, wait_status


async def stored_progress(dock: Dock, job_id: uuid.UUID) -> dict[str, Any]:
    sql = "SELECT progress FROM background_jobs WHERE id = " + \
        ("%(id)s" if dock.store.dialect == "postgres" else ":id")
    (row,) = await dock.store.execute(sql, {"id": str(job_id)})
    raw = row["progress"]
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


async def test_a_run_stores_no_pointer_copy_and_reads_derive_it(dock: Dock,
                                                                 tmp_path: Path) -> None:
    job = await dock.admin.submit(NewJob("staged_sleep", {
        "stages": 3, "steps_per_stage": 2, "step_seconds": 0,
        "trace_file": str(tmp_path / "trace")}))
    async with running(dock.worker(WorkerSettings(**FAST))):
        done = await wait_status(dock, job.id, JobStatus.COMPLETED, JobStatus.FAILED)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert "checkpoint" not in await stored_progress(dock, job.id)
    assert done.last_checkpoint_path and done.last_checkpoint_stage and done.checkpoint_hash
    record = done.metadata["checkpoints"][done.last_checkpoint_stage]
    assert done.progress["checkpoint"] == {
        "stage": done.last_checkpoint_stage, "path": done.last_checkpoint_path,
        "hash": done.checkpoint_hash, "timestamp": record["timestamp"], "can_resume": True}
    assert done.to_dict()["progress"]["checkpoint"]["path"] == done.last_checkpoint_path


async def test_the_columns_win_over_a_stale_stored_copy(dock: Dock) -> None:
    store, now = dock.store, datetime.now(UTC)
    await store.job_insert(NewJob("noop"), now)
    (job,) = await store.job_claim("w1", 1, None, now)
    assert "checkpoint" not in job.progress  # no checkpoint yet: nothing derived
    stale = {"stage": "old", "path": "jobs/x/stage-old.json", "hash": "h-old",
             "timestamp": "2020-01-01T00:00:00+00:00", "can_resume": True}
    record = CheckpointRecord("two", f"jobs/{job.id}/stage-two.json", "h-two",
                              now.isoformat(), True)
    assert await store.job_record_checkpoint(job.id, "w1", record,
                                             {"percent": 50, "checkpoint": stale}, now)
    got = await store.job_get(job.id)
    assert got is not None
    assert got.progress["checkpoint"] == {"stage": "two", "path": record.path,
                                          "hash": "h-two", "timestamp": record.timestamp,
                                          "can_resume": True}
    assert got.progress["percent"] == 50

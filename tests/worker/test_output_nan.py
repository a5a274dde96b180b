"""A handler's output that JSON cannot hold (NaN, infinity) fails that job, clearly, and
never the batch of completions it would have been written with (Postgres refuses the
whole statement; SQLite would store text no JSON reader accepts)."""

from __future__ import annotations

import asyncio
from typing import Any

from jobdock.app import Dock
from jobdock.jobs.context import JobContext
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from jobdock.jobs.registry import default_registry
from jobdock.worker import WorkerSettings


@default_registry.job_type("engine_nan_output", label="Test: returns a NaN")
async def nan_output(ctx: JobContext) -> dict[str, Any]:
    return {"score": float("nan"), "ok": [1.0, float("inf")]}


async def test_a_non_finite_output_fails_its_job_and_spares_the_batch(dock: Dock) -> None:
    bad = await dock.admin.submit(NewJob("engine_nan_output"))
    good = [(await dock.admin.submit(NewJob("noop"))).id for _ in range(8)]
    worker = dock.worker(WorkerSettings(burst=True, maintenance=False, concurrency=20))
    await asyncio.wait_for(worker.run(), 60)
    row = await dock.store.job_get(bad.id)
    assert row is not None and row.status is JobStatus.FAILED
    assert row.error_type is ErrorType.PERMANENT and "score" in (row.error_message or "")
    for job_id in good:
        done = await dock.store.job_get(job_id)
        assert done is not None and done.status is JobStatus.COMPLETED

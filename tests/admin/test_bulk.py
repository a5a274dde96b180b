"""Bulk actions by filter: batches past one page, each job through its guarded action."""

from __future__ import annotations

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.store import JobFilter


async def test_bulk_pause_then_cancel_covers_every_batch_and_only_the_filter(
        fake_dock: Dock) -> None:
    admin = fake_dock.admin
    await admin.submit_many([NewJob("noop", user_id="many") for _ in range(250)])
    kept = await admin.submit(NewJob("noop", user_id="other"))
    [running] = await fake_dock.store.job_claim("w", 1, None, fake_dock.clock.now())
    paused = await admin.bulk("pause", JobFilter(user_id="many"))
    # the running one is asked to pause at its next safe point; the rest pause at once
    assert (paused["matched"], paused["done"], paused["skipped"]) == (250, 250, 0)
    counts = await admin.counts("many")
    assert (counts["paused"], counts["processing"]) == (249, 1)
    cancelled = await admin.bulk("cancel", JobFilter(user_id="many", statuses=("paused",)))
    assert cancelled["done"] == 249
    assert (await admin.counts("many"))["paused"] == 0
    assert (await admin.get_job(kept.id)).status is JobStatus.PENDING
    assert (await admin.get_job(running.id)).pause_requested_at is not None

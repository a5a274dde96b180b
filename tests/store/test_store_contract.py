"""One contract suite over both stores (SQLite file and Postgres schema)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from jobdock.app import Dock
from jobdock.jobs.checkpoints import CheckpointRecord
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from jobdock.store import JobFilter

clock = FakeClock()


async def test_insert_one_and_many(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    job = await store.job_insert(NewJob("noop", {"a": 1}, user_id="u1", entity_type="document",
                                        entity_id="d1", priority=3, max_retries=5), now)
    assert job.status is JobStatus.PENDING and job.input_data == {"a": 1}
    assert (job.user_id, job.entity_id, job.priority, job.max_retries) == ("u1", "d1", 3, 5)
    assert job.created_at == now and job.run_at == now
    ids = await store.job_insert_many([NewJob("noop", {"i": i}) for i in range(50)], now)
    assert len(ids) == 50
    assert (await store.job_counts())["pending"] == 51
    assert (await store.job_get(ids[7])).input_data == {"i": 7}  # type: ignore[union-attr]


async def test_claim_orders_by_priority_then_age_and_honours_run_at(dock: Dock) -> None:
    store, t0 = dock.store, clock.now()
    old = await store.job_insert(NewJob("noop"), t0)
    new = await store.job_insert(NewJob("noop"), t0 + timedelta(seconds=1))
    urgent = await store.job_insert(NewJob("noop", priority=10), t0 + timedelta(seconds=2))
    later = await store.job_insert(NewJob("noop", priority=99,
                                          run_at=t0 + timedelta(hours=1)), t0)
    now = t0 + timedelta(seconds=3)
    claimed = await store.job_claim("w1", 10, None, now)
    assert [j.id for j in claimed] == [urgent.id, old.id, new.id]
    assert all(j.status is JobStatus.PROCESSING and j.worker_id == "w1" for j in claimed)
    assert await store.job_claim("w2", 10, None, now) == []
    assert [j.id for j in await store.job_claim("w2", 10, None, t0 + timedelta(hours=2))] == \
        [later.id]


async def test_claim_respects_limit_and_types(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    await store.job_insert_many([NewJob("noop") for _ in range(5)] +
                                [NewJob("staged_sleep") for _ in range(2)], now)
    assert len(await store.job_claim("w", 3, ["noop"], now)) == 3
    sleeps = await store.job_claim("w", 10, ["staged_sleep"], now)
    assert {j.job_type for j in sleeps} == {"staged_sleep"} and len(sleeps) == 2


async def test_concurrent_claims_never_hand_out_a_job_twice(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    await store.job_insert_many([NewJob("noop") for _ in range(200)], now)
    batches = await asyncio.gather(*(store.job_claim(f"w{i}", 7, None, now) for i in range(40)))
    ids = [j.id for batch in batches for j in batch]
    assert len(ids) == len(set(ids)) == 200


async def test_guarded_transitions_report_a_lost_race(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    await store.job_insert(NewJob("noop"), now)
    (job,) = await store.job_claim("w1", 1, None, now)
    # another worker cannot complete, fail or checkpoint it
    assert not await store.job_complete(job.id, "w2", {}, {}, now)
    assert not await store.job_fail(job.id, "w2", error_message="x", error_type=ErrorType.PERMANENT,
                                    next_retry_at=None, progress={}, metadata={}, now=now)
    record = CheckpointRecord("s", "k", "h", now.isoformat(), True)
    assert not await store.job_record_checkpoint(job.id, "w2", record, {}, now)
    # an admin fails it; now its own worker loses too and the row is unchanged
    failed = await store.job_force_fail(job.id, "processing", "by admin", now)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert not await store.job_complete(job.id, "w1", {"late": True}, {}, now)
    assert await store.job_complete_many("w1", [(job.id, None, None)], now) == set()
    after = await store.job_get(job.id)
    assert after is not None and after.status is JobStatus.FAILED and after.output_data is None
    # compare-and-set on the expected status
    assert await store.job_force_fail(job.id, "processing", "again", now) is None


async def test_complete_and_claim_is_one_guarded_round_trip(dock: Dock) -> None:
    """Completions and the next claim together: a completion loses to a cancel or pause
    asked before it, to another worker's ownership, and the claim still happens."""
    store, now = dock.store, clock.now()
    await store.job_insert_many([NewJob("noop", priority=9 - i) for i in range(6)], now)
    done, cancelled, paused, foreign = await store.job_claim("w1", 4, None, now)
    assert await store.job_request_cancel(cancelled.id, now) is not None
    assert await store.job_request_pause(paused.id, None, now) is not None
    await store.job_release(foreign.id, "w1", {}, now)
    (taken,) = await store.job_claim("w2", 1, None, now)
    assert taken.id == foreign.id
    won, claimed = await store.job_complete_and_claim(
        "w1", [(i, {"ok": i == done.id}, {"percent": 100.0})
               for i in (done.id, cancelled.id, paused.id, foreign.id)], 5, None, now)
    assert won == {done.id}
    assert len(claimed) == 2 and all(j.status is JobStatus.PROCESSING and
                                     j.worker_id == "w1" for j in claimed)
    assert [j.priority for j in claimed] == [5, 4]  # by priority, then age
    rows = {i: await store.job_get(i) for i in (done.id, cancelled.id, paused.id, foreign.id)}
    assert rows[done.id] is not None and rows[done.id].status is JobStatus.COMPLETED
    assert rows[done.id].output_data == {"ok": True}
    for i in (cancelled.id, paused.id):
        assert rows[i] is not None and rows[i].status is JobStatus.PROCESSING
    assert rows[foreign.id] is not None and rows[foreign.id].worker_id == "w2"
    # the status counters (statement triggers) saw both updates of the one statement
    assert await store.job_counts() == {"pending": 0, "processing": 5, "completed": 1,
                                        "paused": 0, "failed": 0, "cancelled": 0}
    # nothing to complete, nothing left to claim
    assert await store.job_complete_and_claim("w1", [], 3, None, now) == (set(), [])
    # completions alone (no free slot)
    assert await store.job_complete_and_claim(
        "w1", [(claimed[0].id, None, None)], 0, None, now) == ({claimed[0].id}, [])


async def test_heartbeat_and_rescue(dock: Dock) -> None:
    store, t0 = dock.store, clock.now()
    await store.job_insert_many([NewJob("noop"), NewJob("noop")], t0)
    a, b = await store.job_claim("w1", 2, None, t0)
    assert await store.job_heartbeat("w1", [a.id], t0 + timedelta(seconds=20)) == {a.id}
    assert await store.job_heartbeat("w2", [a.id], t0) == set()
    rescued = await store.job_rescue_stale(t0 + timedelta(seconds=10), t0 + timedelta(seconds=30))
    assert [j.id for j in rescued] == [b.id]
    assert rescued[0].status is JobStatus.PENDING and rescued[0].worker_id is None
    assert rescued[0].metadata["rescue_count"] == 1


async def test_progress_sync_and_checkpoint_record(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    await store.job_insert(NewJob("noop"), now)
    (job,) = await store.job_claim("w1", 1, None, now)
    assert await store.job_sync_progress("w1", {job.id: {"percent": 42, "stage": "x"}}, now) == \
        {job.id}
    for stage in ("one", "two"):
        record = CheckpointRecord(stage, f"jobs/{job.id}/stage-{stage}.json", "h" + stage,
                                  now.isoformat(), True)
        assert await store.job_record_checkpoint(job.id, "w1", record, {"percent": 50}, now)
    got = await store.job_get(job.id)
    assert got is not None
    assert got.last_checkpoint_stage == "two" and got.checkpoint_hash == "htwo"
    assert set(got.metadata["checkpoints"]) == {"one", "two"}
    flags = await store.job_control_flags([job.id])
    assert not flags[job.id].pause_requested
    await store.job_request_pause(job.id, "because", now)
    assert (await store.job_control_flags([job.id]))[job.id].pause_requested


async def test_list_filters_and_keyset_pagination(dock: Dock) -> None:
    store, t0 = dock.store, clock.now()
    for i in range(25):
        await store.job_insert(NewJob("noop" if i % 2 else "staged_sleep", {"n": f"item-{i}"},
                                      user_id=f"u{i % 3}"), t0 + timedelta(seconds=i))
    seen, after = [], None
    while page := await store.job_list(JobFilter(limit=10, after=after)):
        seen.extend(page)
        after = (page[-1].created_at, page[-1].id)
    assert len(seen) == 25 == len({j.id for j in seen})
    assert [j.created_at for j in seen] == sorted((j.created_at for j in seen), reverse=True)
    assert {j.job_type for j in await store.job_list(JobFilter(job_type="noop"))} == {"noop"}
    assert len(await store.job_list(JobFilter(user_id="u1"))) == 8
    assert [j.input_data for j in await store.job_list(JobFilter(text="item-13"))] == \
        [{"n": "item-13"}]
    assert await store.job_list(JobFilter(statuses=("failed",))) == []
    by_updated = await store.job_list(JobFilter(sort="updated", limit=3))
    assert len(by_updated) == 3


async def test_delete_is_guarded_and_files_are_tracked(dock: Dock) -> None:
    store, now = dock.store, clock.now()
    job = await store.job_insert(NewJob("noop"), now)
    await store.file_add(job.id, "jobs/x/stage-a.json", False)
    await store.file_add(job.id, "jobs/x/a.json", True)
    assert await store.file_list(job.id) == [("jobs/x/a.json", True),
                                             ("jobs/x/stage-a.json", False)]
    assert not await store.job_delete(job.id, "completed")
    assert await store.job_delete(job.id, "pending")
    assert await store.job_get(job.id) is None
    assert await store.job_get(uuid.uuid4()) is None

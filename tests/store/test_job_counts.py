"""Job counts come from counters the store's own transitions keep (migration 0005), and
stay exact: after many concurrent transitions (a worker claiming, completing, failing
and retrying; admins pausing, resuming, cancelling, deleting; retention pruning; folds
running beside all of it) they equal ``count(*)`` on both stores."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import psycopg
import pytest

from jobdock.admin import AdminError
from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.jobs.states import IllegalTransition
from jobdock.store import JobFilter
from jobdock.worker import WorkerSettings
from jobdock.worker.maintenance import Pruner
from tests.support.engine import FAST, running, wait_for

COUNT_BY_SCAN = "SELECT status, count(*) AS n FROM background_jobs GROUP BY status"


async def scanned(dock: Dock, user_id: str | None = None) -> dict[str, int]:
    counts = {s.value: 0 for s in JobStatus}
    sql = COUNT_BY_SCAN if user_id is None else COUNT_BY_SCAN.replace(
        "GROUP BY", "WHERE user_id = :user_id GROUP BY" if dock.store.dialect == "sqlite"
        else "WHERE user_id = %(user_id)s GROUP BY")
    for row in await dock.store.execute(sql, {"user_id": user_id}):
        counts[row["status"]] = int(row["n"])
    return counts


def sleepy(i: int) -> NewJob:
    return NewJob("staged_sleep", {"stages": 2, "steps_per_stage": 3, "step_seconds": 0.002},
                  user_id=f"u{i % 3}")


def failing(i: int) -> NewJob:
    return NewJob("test_fail", {"kind": "transient" if i % 2 else "permanent"}, max_retries=1,
                  user_id=f"u{i % 3}")


async def admin_churn(dock: Dock, stop: asyncio.Event, seed: int) -> int:
    """Random admin actions on random jobs until told to stop; returns how many took."""
    rng = random.Random(seed)
    actions = 0
    while not stop.is_set():
        jobs = await dock.admin.list_jobs(JobFilter(limit=200))
        if not jobs:
            await asyncio.sleep(0.001)
            continue
        job = rng.choice(jobs)
        verb = rng.choice(["pause", "resume", "retry", "fail", "cancel", "cancel"])
        try:
            if verb == "cancel":
                await dock.admin.cancel_and_delete_job(job.id)
            else:
                await dock.admin.apply(verb, job.id)
            actions += 1
        except (IllegalTransition, AdminError):
            pass
    return actions


async def submitter(dock: Dock, stop: asyncio.Event) -> int:
    submitted, i = 0, 0
    while not stop.is_set():
        i += 1
        if i % 3 == 0:
            await dock.admin.submit_many([sleepy(i + k) for k in range(20)])
            submitted += 20
        else:
            await dock.admin.submit(failing(i) if i % 3 == 1 else sleepy(i))
            submitted += 1
            parent = await dock.admin.submit(sleepy(i))  # a dependent: cancelled with it,
            await dock.admin.submit(NewJob("noop", after=[parent.id]))  # or released
            submitted += 2
    return submitted


async def pruner_and_folds(dock: Dock, stop: asyncio.Event) -> int:
    pruner = Pruner(dock.store, dock.storage, dock.clock, max_age=0.0, batch=25)
    pruned = 0
    while not stop.is_set():
        pruned += await pruner.run_once(force=True)
        await dock.store.job_counts_fold()
        await dock.admin.clear_failed_jobs() if pruned % 4 == 0 else None
    return pruned


async def snapshot_check(pg_url: str, stop: asyncio.Event) -> int:
    """Postgres: in one snapshot, mid-churn, the counters equal the scan."""
    checks = 0
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        while not stop.is_set():
            async with conn.transaction():
                await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                kept = dict(await (await conn.execute(
                    "SELECT status, sum(n)::bigint FROM (SELECT status, n FROM job_status_counts"
                    " UNION ALL SELECT status, n FROM job_status_count_deltas) c"
                    " GROUP BY status HAVING sum(n) <> 0")).fetchall())
                counted = dict(await (await conn.execute(COUNT_BY_SCAN)).fetchall())
            assert kept == counted
            checks += 1
            await asyncio.sleep(0.01)
    return checks


@pytest.mark.slow
async def test_counts_equal_a_scan_after_many_concurrent_transitions(
        dock: Dock, database_url: str) -> None:
    await dock.admin.submit_many([sleepy(i) for i in range(60)] +
                                 [NewJob("noop") for _ in range(60)])
    stop = asyncio.Event()
    worker = dock.worker(WorkerSettings(**FAST, concurrency=6, maintenance_interval=0.05,
                                        retention=0.0, retention_interval=0.1))
    async with running(worker):
        tasks = [asyncio.create_task(admin_churn(dock, stop, seed)) for seed in (1, 2)]
        tasks += [asyncio.create_task(submitter(dock, stop)),
                  asyncio.create_task(pruner_and_folds(dock, stop))]
        if database_url.startswith("postgres"):
            tasks.append(asyncio.create_task(snapshot_check(database_url, stop)))
        deadline = time.monotonic() + 4.0
        await wait_for(lambda: time.monotonic() > deadline or any(t.done() for t in tasks),
                       timeout=10, what="the churn to run")
        stop.set()
        results = await asyncio.gather(*tasks)
        assert results[0] + results[1] > 20  # admins really acted
        assert results[2] > 100  # jobs really came in
        assert results[3] > 0  # retention really pruned (completed and cancelled jobs)
        if database_url.startswith("postgres"):
            assert results[4] > 3  # the snapshot check really ran mid-churn
        await wait_for(lambda: len(worker.running) == 0 or time.monotonic() > deadline + 5,
                       timeout=30, what="the worker to finish what it runs")
    # the worker stopped (a job it still ran went back to pending): nothing moves now
    counts = await dock.store.job_counts()
    assert counts == await scanned(dock)
    assert sum(counts.values()) > 0
    for user in ("u0", "u1", "u2"):
        assert await dock.store.job_counts(user) == await scanned(dock, user)
    await dock.store.job_counts_fold()
    assert await dock.store.job_counts() == counts

    # everything deleted (a deleted parent cancels its dependents: more rounds), every
    # count back to zero
    for _ in range(5):
        for status in JobStatus:
            for job_id in await dock.store.job_ids_by_status(status.value, limit=100_000):
                await dock.store.job_delete(job_id, status.value)
    assert await scanned(dock) == {s.value: 0 for s in JobStatus}
    assert await dock.store.job_counts() == {s.value: 0 for s in JobStatus}


async def test_counts_follow_each_transition(dock: Dock) -> None:
    ids = await dock.admin.submit_many([NewJob("noop") for _ in range(5)])
    job = await dock.admin.submit(NewJob("noop"))
    assert (await dock.store.job_counts())["pending"] == 6
    now = dock.clock.now()
    claimed = await dock.store.job_claim("w", 3, None, now)
    assert len(claimed) == 3
    assert await dock.store.job_complete_many("w", [(c.id, None, None) for c in claimed[:2]],
                                              now)
    await dock.admin.pause_job(job.id)
    expected = {"pending": 2, "processing": 1, "paused": 1, "completed": 2, "failed": 0,
                "cancelled": 0}
    assert await dock.store.job_counts() == expected == await scanned(dock)
    await dock.admin.cancel_and_delete_job(
        next(i for i in ids if i not in {c.id for c in claimed}))
    expected["pending"] -= 1
    assert await dock.store.job_counts() == expected == await scanned(dock)


@pytest.mark.postgres
async def test_a_counts_read_folds_when_nobody_did(pg_url: str, tmp_path: Any) -> None:
    """No maintenance loop ran: the read sums the deltas (exact), and folds them once many."""
    from jobdock.settings import Settings
    from jobdock.store import base

    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    try:
        for _ in range(3):
            await dock.admin.submit(NewJob("noop"))
        rows = await dock.store.execute("SELECT count(*) AS n FROM job_status_count_deltas", {})
        assert rows[0]["n"] == 3  # one delta row per inserting statement
        assert (await dock.store.job_counts())["pending"] == 3
        await dock.admin.submit_many([NewJob("noop") for _ in range(2)])
        # many deltas (fewer than the threshold here: lower it for the test's sake)
        old, base.FOLD_COUNTS_AFTER = base.FOLD_COUNTS_AFTER, 2
        try:
            assert (await dock.store.job_counts())["pending"] == 5
        finally:
            base.FOLD_COUNTS_AFTER = old
        rows = await dock.store.execute("SELECT count(*) AS n FROM job_status_count_deltas", {})
        assert rows[0]["n"] == 0
        assert (await dock.store.job_counts())["pending"] == 5
        # from a session with another search_path (the peer harness truncates like this)
        schema = pg_url.rsplit("search_path%3D", 1)[1]
        with psycopg.connect(pg_url.split("?")[0], autocommit=True) as conn:
            conn.execute(f"TRUNCATE {schema}.background_jobs")
            conn.execute(f"INSERT INTO {schema}.background_jobs (id, job_type, run_at, "
                         "created_at, updated_at) VALUES (gen_random_uuid(), 'noop', now(), "
                         "now(), now())")
        assert await dock.store.job_counts() == {**{s.value: 0 for s in JobStatus},
                                                 "pending": 1}
    finally:
        await dock.close()


@pytest.mark.postgres
async def test_progress_writes_and_heartbeats_add_no_count_rows(pg_url: str,
                                                                tmp_path: Any) -> None:
    from jobdock.settings import Settings

    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    try:
        job = await dock.admin.submit(NewJob("noop"))
        now = dock.clock.now()
        assert await dock.store.job_claim("w", 1, None, now)
        await dock.store.job_counts_fold()
        await dock.store.job_sync_progress("w", {job.id: {"percent": 50}}, now)
        await dock.store.job_heartbeat("w", [job.id], now)
        rows = await dock.store.execute("SELECT count(*) AS n FROM job_status_count_deltas", {})
        assert rows[0]["n"] == 0
        assert (await dock.store.job_counts())["processing"] == 1
    finally:
        await dock.close()

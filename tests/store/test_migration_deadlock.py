"""A migration run while workers are running (the documented rolling upgrade) must not
fail on a deadlock with them. A step that takes a weaker lock on background_jobs and then
a stronger one deadlocks with a claim that holds the row lock and waits to update (seen
in CI: `test_upgrade.py`, engine migration 0006); Postgres then aborts the migration. The
migrator runs that step again; the worker's statement goes on."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

import jobdock
from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.store import MigrationSet

pytestmark = pytest.mark.postgres
PROBE = MigrationSet("lock_upgrade", "tests.support.lock_upgrade_ext")


def _migration_holds_share(probe: psycopg.Connection[tuple[object, ...]]) -> bool:
    """The migration holds its SHARE lock on background_jobs (and sleeps)."""
    row = probe.execute(
        "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ShareLock' "
        "AND relation = 'background_jobs'::regclass").fetchone()
    return bool(row and row[0])


async def test_a_migration_that_deadlocks_with_a_running_claim_is_run_again(
        pg_dock: Dock, pg_url: str) -> None:
    job = await pg_dock.admin.submit(NewJob("noop"))
    worker = await psycopg.AsyncConnection.connect(pg_url)  # plays a worker's claim
    probe = psycopg.connect(pg_url, autocommit=True)
    try:
        # the claim's row lock (ROW SHARE on the table) ...
        await worker.execute("SELECT id FROM background_jobs WHERE id = %s FOR UPDATE",
                             (job.id,))
        migrating = asyncio.create_task(pg_dock.store.migrate([PROBE]))
        deadline = time.monotonic() + 20
        while not _migration_holds_share(probe):
            assert not migrating.done(), migrating
            assert time.monotonic() < deadline, "the migration never took its SHARE lock"
            await asyncio.sleep(0.01)
        # ... then its update, which waits for the migration's SHARE lock; the migration
        # then asks for ACCESS EXCLUSIVE, held off by the row lock: Postgres aborts it
        await worker.execute("UPDATE background_jobs SET priority = 1 WHERE id = %s",
                             (job.id,))
        await worker.commit()
        applied = await asyncio.wait_for(migrating, 30)
        assert applied == ["lock_upgrade/0001_lock_upgrade"]
        assert (await pg_dock.store.job_get(job.id)).priority == 1  # type: ignore[union-attr]
    finally:
        probe.close()
        await worker.close()


async def test_a_worker_whose_claim_is_aborted_for_a_deadlock_goes_on(
        pg_dock: Dock, pg_url: str) -> None:
    """The other side: Postgres may abort the worker's statement instead. A worker's claim
    loop used to end on any error that was not an outage, and the worker exited."""
    from jobdock.worker import WorkerSettings
    from tests.support.engine import FAST, wait_status

    job = await pg_dock.admin.submit(NewJob("noop"))
    other = await psycopg.AsyncConnection.connect(pg_url)
    await other.execute("SET deadlock_timeout = '30s'")  # the worker's check runs first
    # the count trigger of every claim inserts here: the claim will wait for this lock
    await other.execute("LOCK TABLE job_status_count_deltas IN EXCLUSIVE MODE")
    worker = pg_dock.worker(WorkerSettings(concurrency=2, maintenance=False,
                                           **FAST))  # type: ignore[arg-type]
    running = asyncio.create_task(worker.run())
    probe = psycopg.connect(pg_url, autocommit=True)
    try:
        deadline = time.monotonic() + 20
        while not probe.execute(  # the claim waits for the deltas table, holding its rows
                "SELECT count(*) FROM pg_locks w JOIN pg_locks h ON h.pid = w.pid "
                "WHERE NOT w.granted AND w.relation = 'job_status_count_deltas'::regclass "
                "AND h.granted AND h.mode = 'RowExclusiveLock' "
                "AND h.relation = 'background_jobs'::regclass").fetchone()[0]:
            assert not running.done(), running
            assert time.monotonic() < deadline, "the claim never waited"
            await asyncio.sleep(0.01)
        # now this session waits for the claim's table: a cycle; the worker's deadlock
        # check (1 s) runs before this session's (30 s), so its statement is aborted
        await other.execute("LOCK TABLE background_jobs IN ACCESS EXCLUSIVE MODE")
        await other.commit()
        assert not running.done(), running.exception() if running.done() else None
        done = await wait_status(pg_dock, job.id, JobStatus.COMPLETED, timeout=30)
        assert done.status is JobStatus.COMPLETED
        assert not running.done()
    finally:
        probe.close()
        worker.stop()
        await asyncio.wait_for(running, 30)
        await other.close()


GATE: dict[str, asyncio.Event] = {}


@jobdock.job_type("deadlock_probe_fail")
async def deadlock_probe_fail(ctx: jobdock.JobContext) -> None:
    await GATE["go"].wait()
    raise jobdock.PermanentError("failed on purpose")


async def test_an_outcome_write_rolled_back_for_a_deadlock_is_written_again(
        pg_dock: Dock, pg_url: str) -> None:
    """The same for a worker's outcome writes (a failure here; completions go the same
    way): one rolled back for a deadlock was left unrecorded, the job `processing` until
    the rescuer handed it back (the heartbeat timeout, 30 s by default)."""
    from jobdock.worker import WorkerSettings
    from tests.support.engine import FAST, wait_status

    GATE["go"] = asyncio.Event()
    job = await pg_dock.admin.submit(NewJob("deadlock_probe_fail", max_retries=0))
    worker = pg_dock.worker(WorkerSettings(concurrency=1, maintenance=False,
                                           **FAST))  # type: ignore[arg-type]
    running = asyncio.create_task(worker.run())
    other = await psycopg.AsyncConnection.connect(pg_url)
    probe = psycopg.connect(pg_url, autocommit=True)
    try:
        await wait_status(pg_dock, job.id, JobStatus.PROCESSING, timeout=20)
        await other.execute("SET deadlock_timeout = '30s'")  # the worker's check runs first
        await other.execute("LOCK TABLE job_status_count_deltas IN EXCLUSIVE MODE")
        GATE["go"].set()  # the handler fails; its failure's count trigger waits for us
        deadline = time.monotonic() + 20
        while not probe.execute(
                "SELECT count(*) FROM pg_locks w JOIN pg_locks h ON h.pid = w.pid "
                "WHERE NOT w.granted AND w.relation = 'job_status_count_deltas'::regclass "
                "AND h.granted AND h.mode = 'RowExclusiveLock' "
                "AND h.relation = 'background_jobs'::regclass").fetchone()[0]:
            assert time.monotonic() < deadline, "the failure's write never waited"
            await asyncio.sleep(0.01)
        await other.execute("LOCK TABLE background_jobs IN ACCESS EXCLUSIVE MODE")
        await other.commit()
        failed = await wait_status(pg_dock, job.id, JobStatus.FAILED, timeout=10)
        assert failed.error_message == "failed on purpose"
    finally:
        probe.close()
        await other.close()
        worker.stop()
        await asyncio.wait_for(running, 30)

"""Postgres: every multi-row update of ``background_jobs`` locks its rows in id order, so
two of them (a heartbeat and a completion batch of one worker, on two connections) can
never wait for each other ("deadlock detected", seen with the multi-host rig).

The check: another session holds the lower id's row; the statement under test must then
wait for it *before* touching the higher id (which stays lockable). The rows are stored
higher id first, so a statement that follows the table's physical order fails this."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings
from jobdock.store import Store

pytestmark = pytest.mark.postgres
W = "w"
Statement = Callable[[Store, uuid.UUID, uuid.UUID], Awaitable[Any]]


def _now() -> Any:
    from datetime import UTC, datetime
    return datetime.now(UTC)


STATEMENTS: dict[str, Statement] = {
    "job_heartbeat": lambda s, hi, lo: s.job_heartbeat(W, [hi, lo], _now()),
    "job_sync_progress": lambda s, hi, lo: s.job_sync_progress(
        W, {hi: {"p": 1}, lo: {"p": 1}}, _now()),
    "job_complete_many": lambda s, hi, lo: s.job_complete_many(
        W, [(hi, {}, None), (lo, {}, None)], _now()),
    "job_complete_and_claim": lambda s, hi, lo: s.job_complete_and_claim(
        W, [(hi, {}, None), (lo, {}, None)], 1, None, _now()),
    "job_release_worker": lambda s, hi, lo: s.job_release_worker(W, _now()),
    "job_release_orphans": lambda s, hi, lo: s.job_release_orphans(W, [], _now()),
    "job_mark_has_dependents": lambda s, hi, lo: s.fetch("job_mark_has_dependents",
                                                         {"after": [hi, lo]}),
    "limit_mark_jobs": lambda s, hi, lo: s.fetch("limit_mark_jobs", {"name": "noop"}),
}


async def _two_running_jobs_higher_id_first(dock: Dock) -> tuple[uuid.UUID, uuid.UUID]:
    # (new jobs get ascending ids: the pair's ids are chosen, the higher one stored first)
    second, first = sorted([uuid.uuid4(), uuid.uuid4()])
    for job_id in (first, second):
        await dock.admin.submit(NewJob("noop", id=job_id))
    await dock.store.execute(
        "UPDATE background_jobs SET status = 'processing', worker_id = %(w)s, "
        "heartbeat_at = now() WHERE id = ANY(%(ids)s::uuid[])", {"w": W, "ids": [first, second]})
    return first, second


def _blocked_by(conn: psycopg.Connection[Any], pid: int) -> bool:
    row = conn.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE %s = ANY(pg_blocking_pids(pid))", (pid,)).fetchone()
    return bool(row and row[0])


@pytest.mark.parametrize("name", sorted(STATEMENTS))
async def test_multi_row_updates_lock_rows_in_id_order(pg_url: str, tmp_path: Any,
                                                       name: str) -> None:
    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    holder = psycopg.connect(pg_url)
    probe = psycopg.connect(pg_url, autocommit=True)
    statement: asyncio.Task[Any] | None = None
    try:
        high, low = await _two_running_jobs_higher_id_first(dock)
        holder.execute("SELECT id FROM background_jobs WHERE id = %s FOR UPDATE", (low,))
        holder_pid = holder.info.backend_pid
        statement = asyncio.create_task(STATEMENTS[name](dock.store, high, low))
        deadline = time.monotonic() + 20
        while not _blocked_by(probe, holder_pid):
            assert not statement.done(), "the statement did not wait for the locked row"
            assert time.monotonic() < deadline, "the statement never waited"
            await asyncio.sleep(0.02)
        with probe.transaction():
            probe.execute("SET LOCAL lock_timeout = '200ms'")
            try:
                probe.execute("SELECT id FROM background_jobs WHERE id = %s FOR UPDATE",
                              (high,))
            except psycopg.errors.LockNotAvailable:
                pytest.fail(f"{name} locked the higher id before the lower one")
    finally:
        holder.rollback()
        if statement is not None:
            await asyncio.wait_for(statement, 20)
        holder.close()
        probe.close()
        await dock.close()

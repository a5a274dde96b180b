"""Postgres store: psycopg 3 async pool, ``FOR UPDATE SKIP LOCKED`` claims, NOTIFY feed."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from jobdock.jobs.model import Job
from jobdock.store.base import Store, StoreUnavailable
from jobdock.store.migrations import MigrationSet, Step, pending_steps
from jobdock.store.postgres.pools import Pools, Unreachable
from jobdock.store.queries import load_queries

T = TypeVar("T")
MIGRATIONS_TABLE = "jobdock_migrations"
# Queries with optional filters get a plan for their actual values each time: a prepared
# (generic) plan cannot know that, say, the types filter is absent, and on a queue table
# whose statistics lag behind it picks a bitmap scan + sort (20 ms) over the claim index
# (0.3 ms).
CUSTOM_PLANS = frozenset({"job_list_by_created", "job_list_by_updated", "job_retry_due",
                          "job_rescue_stale", "job_ids_by_status"})
# Job list pages: several indexed filters at once are walked in order (list_planner).
ORDERED_LISTS = frozenset({"job_list_by_created", "job_list_by_updated"})
# The worker's hot-path writes run on connections of their own, set up once with these
# session settings (one round trip per statement, no transaction block around it).
WORKER_WRITES = frozenset({"job_claim", "job_complete_many", "job_complete_and_claim",
                           "job_sync_progress", "job_heartbeat"})
WORKER_SESSION = ("planner_ordered_claim", "relaxed_commit")
log = logging.getLogger("jobdock.store")
_MIGRATION_LOCK = 0x6A6F62646F636B  # "jobdock": one migrator at a time across processes
MIGRATION_ATTEMPTS = 5  # a step aborted for a deadlock with running workers is run again


async def _rows(cur: psycopg.AsyncCursor[Any]) -> list[dict[str, Any]]:
    """The statement's rows, or none when it returns none. Asks the result for its number
    of fields: ``cursor.description`` builds a Column object per field (40 for a job
    row), a sixth of a claim's Python time, only to be tested for truth."""
    result = cur.pgresult
    return await cur.fetchall() if result is not None and result.nfields else []


def describe_conninfo(url: str) -> str:
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured Postgres"
    return f"Postgres at {info.get('host', 'localhost')}:{info.get('port', 5432)}"


class PostgresStore(Store):
    dialect = "postgres"
    list_each_status = True

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 8) -> None:
        self.url = url
        self.queries = load_queries("postgres")
        self.pools = Pools(url, min_size=min_size, max_size=max_size,
                           configure_worker=self._worker_session)
        self._opened = False

    @property
    def pool(self) -> AsyncConnectionPool[Any]:
        return self.pools.main

    @property
    def worker_pool(self) -> AsyncConnectionPool[Any]:
        return self.pools.worker

    @property
    def connection_epoch(self) -> int:
        return self.pools.epoch

    async def open(self) -> PostgresStore:
        if not self._opened:
            try:
                # One plain connection first: its error names the cause (refused, no such db).
                probe = await psycopg.AsyncConnection.connect(self.url, connect_timeout=5)
                await probe.close()
                await self.pools.open()
            except Exception as exc:
                await self.pools.close()
                raise StoreUnavailable(
                    f"cannot connect to {describe_conninfo(self.url)}: {_one_line(exc)}"
                ) from None
            self._opened = True
        return self

    async def close(self) -> None:
        await self.pools.close()

    async def fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        if name in ORDERED_LISTS and sum(params.get(k) is not None for k in (
                "status", "statuses", "job_type", "user_id")) >= 2:
            return await self._fetch_list_in_order(name, params)

        async def run(conn: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
            async with conn.cursor() as cur:
                await cur.execute(self.queries[name], params, prepare=name not in CUSTOM_PLANS)
                return await _rows(cur)
        return await self._run(run, worker=name in WORKER_WRITES)

    async def _fetch_list_in_order(self, name: str,
                                   params: dict[str, Any]) -> list[dict[str, Any]]:
        """A page filtered on two indexed columns (type and user, say): walk one index in
        order and filter. The planner would rather AND two bitmaps and sort every match
        (300 ms at 1M jobs, for a page of 50 found in 0.1 ms in order)."""
        async def run(conn: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
            async with conn.transaction(), conn.cursor() as cur:
                await cur.execute(self.queries["list_planner"], prepare=False)
                await cur.execute(self.queries[name], params, prepare=False)
                return await cur.fetchall()
        return await self._run(run)

    async def _run(self, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]], *,
                   worker: bool = False) -> T:
        """An unreachable database ends as ``StoreUnavailable`` (the API's 503; the
        worker waits for it)."""
        try:
            return await self.pools.run(work, worker=worker)
        except Unreachable as exc:
            raise StoreUnavailable(
                f"the database is unavailable ({describe_conninfo(self.url)}): "
                f"{_one_line(exc)}") from exc

    async def execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        async def run(conn: psycopg.AsyncConnection[Any]) -> list[dict[str, Any]]:
            async with conn.cursor() as cur:
                await cur.execute(sql, params, prepare=True)
                return await _rows(cur)
        return await self._run(run)

    async def job_claim(self, worker_id: str, limit: int, types: Sequence[str] | None,
                        now: datetime, queues: Sequence[str] | None = None) -> list[Job]:
        """One statement: the plain claim, and whether a limited job is due (the gated
        claim follows only then)."""
        if limit <= 0:
            return []
        params = self._claim_params(worker_id, limit, types, now, queues)
        jobs, limited_due = self._claimed(await self.fetch("job_claim", params))
        return await self._claim_limited(jobs, params, limited_due)

    def _claimed(self, rows: list[dict[str, Any]]) -> tuple[list[Job], bool]:
        """A claim statement's answer: the jobs claimed (an all-NULL row stands for none)
        and whether a limited job is due."""
        return ([self.row_to_job(r) for r in rows if r["id"] is not None],
                bool(rows[0]["limited_due"]) if rows else False)

    async def _complete_and_claim(self, params: dict[str, Any]
                                  ) -> tuple[set[uuid.UUID], list[Job], bool | None]:
        rows = await self.fetch("job_complete_and_claim", params)
        won = set(rows[0]["completed_ids"] or ()) if rows else set()
        return (won, *self._claimed(rows))

    async def _worker_session(self, conn: psycopg.AsyncConnection[Any]) -> None:
        for setting in WORKER_SESSION:
            await conn.execute(self.queries[setting])

    async def fetch_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        return await self.execute_in_transaction([(self.queries[n], p) for n, p in steps])

    async def execute_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        async def run(conn: psycopg.AsyncConnection[Any]) -> list[list[dict[str, Any]]]:
            results = []
            async with conn.transaction(), conn.cursor() as cur:
                for sql, params in steps:
                    await cur.execute(sql, params)
                    results.append(await _rows(cur))
            return results
        return await self._run(run)

    async def job_counts_fold(self) -> None:
        await self.fetch("job_counts_fold", {})

    # ---- value encoding -----------------------------------------------------------------
    driver_decodes = True  # psycopg loads jsonb and timestamptz itself

    def enc_time(self, value: datetime | None) -> Any:
        return value

    def dec_time(self, value: Any) -> datetime | None:
        return value  # type: ignore[no-any-return]

    def enc_json(self, value: Any) -> Any:
        return None if value is None else Jsonb(value)

    def dec_json(self, value: Any) -> Any:
        return value

    def enc_list(self, values: Sequence[Any] | None) -> Any:
        return None if values is None else list(values)

    def enc_id(self, value: uuid.UUID | str) -> Any:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))

    # ---- schema ---------------------------------------------------------------------------
    async def migrate(self, extra: Sequence[MigrationSet] = ()) -> list[str]:
        applied: list[str] = []
        async with self.pool.connection() as conn:
            await conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
            try:
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
                    "version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                cur = await conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE}")
                done = {r["version"] for r in await cur.fetchall()}
                for step in pending_steps("postgres", done, extra):
                    await self._apply(conn, step)
                    applied.append(step.version)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
        return applied

    async def _apply(self, conn: psycopg.AsyncConnection[Any], step: Step) -> None:
        """One step in its own transaction; again when Postgres aborted it for a deadlock
        with running workers (a rolling upgrade: a step that takes a weaker lock on a
        table, then a stronger one, meets a claim holding a row lock and waiting to
        update). The step rolled back whole, and the worker's statement went on."""
        for attempt in range(1, MIGRATION_ATTEMPTS + 1):
            try:
                async with conn.transaction():
                    if step.sql:
                        await conn.execute(step.sql)
                    await conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version) "
                                       "VALUES (%s)", (step.version,))
                return
            except psycopg.errors.DeadlockDetected:
                if attempt == MIGRATION_ATTEMPTS:
                    raise
                log.warning("migration %s deadlocked with running work (attempt %d of %d); "
                            "running it again", step.version, attempt, MIGRATION_ATTEMPTS)
                await asyncio.sleep(0.2 * attempt)

    async def applied_migrations(self) -> list[str]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version")
            return [r["version"] for r in await cur.fetchall()]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__

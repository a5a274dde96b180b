"""SQLite store: the embedded default. WAL, ``BEGIN IMMEDIATE`` writes, ``RETURNING``.

One connection per store, used under a lock: SQLite serialises writers anyway, and
several worker processes on the same file coordinate through its write lock.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from jobdock.jobs.model import Job
from jobdock.store.base import Store, StoreUnavailable
from jobdock.store.migrations import MigrationSet, pending_steps
from jobdock.store.queries import load_queries

MIGRATIONS_TABLE = "jobdock_migrations"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width: text order == time order


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def parse_time(value: str) -> datetime:
    # fromisoformat reads the fixed format (and its 'Z') in C: strptime took 30 us per
    # value, several per job row, the largest single cost of a SQLite drain.
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class SqliteStore(Store):
    dialect = "sqlite"
    json_default = str

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 30_000) -> None:
        self.path = Path(path)
        self.queries = load_queries("sqlite")
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> SqliteStore:
        if self._conn is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = await aiosqlite.connect(self.path, isolation_level=None)
                conn.row_factory = sqlite3.Row
                await conn.execute(f"PRAGMA busy_timeout = {self.busy_timeout_ms}")
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = NORMAL")
                await conn.execute("PRAGMA foreign_keys = ON")
                # a cancelled dependency cancels its dependents, and theirs (triggers)
                await conn.execute("PRAGMA recursive_triggers = ON")
            except (OSError, sqlite3.Error) as exc:
                raise StoreUnavailable(f"cannot open SQLite database {self.path}: {exc}") from None
            self._conn = conn
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreUnavailable("the SQLite store is not open")
        return self._conn

    async def fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.execute(self.queries[name], params)

    async def execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            return await self._execute(sql, params)
        except sqlite3.OperationalError as exc:
            if _is_outage(exc):
                raise StoreUnavailable(
                    f"the SQLite database {self.path} is unavailable: {exc}") from exc
            raise

    async def _execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        # Reads run in autocommit; writes take the write lock up front (BEGIN IMMEDIATE)
        # so two processes never both read-then-upgrade and deadlock.
        write = not sql.lstrip().upper().startswith("SELECT")
        return (await self._transaction([(sql, params)], write=write))[0]

    async def _transaction(self, steps: list[tuple[str, dict[str, Any]]], *,
                           write: bool) -> list[list[dict[str, Any]]]:
        """Run ``steps`` (in one transaction when ``write``) in ONE call to the
        connection's thread: a call per BEGIN, statement, fetch, close and COMMIT was
        five to eight thread hand-offs per write."""
        conn = self.conn
        async with self._lock:
            # aiosqlite's own way to run a function in its thread (what execute() uses)
            rows: list[list[dict[str, Any]]] = await conn._execute(  # type: ignore[no-untyped-call]
                _run_steps, conn._conn, steps, write)
            return rows

    async def fetch_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        return await self.execute_in_transaction([(self.queries[n], p) for n, p in steps])

    async def execute_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        try:
            return await self._execute_in_transaction(steps)
        except sqlite3.OperationalError as exc:
            if _is_outage(exc):
                raise StoreUnavailable(
                    f"the SQLite database {self.path} is unavailable: {exc}") from exc
            raise

    async def _execute_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        return await self._transaction(steps, write=True)

    async def job_claim(self, worker_id: str, limit: int, types: Sequence[str] | None,
                        now: datetime, queues: Sequence[str] | None = None) -> list[Job]:
        # Polling workers ask with a read first: most polls find nothing and then never
        # queue for the database's single write lock.
        if not await self.fetch("job_due_exists", {"types": self.enc_list(types),
                                                   "queues": self.enc_list(queues),
                                                   "now": self.enc_time(now)}):
            return []
        return await super().job_claim(worker_id, limit, types, now, queues)

    # ---- value encoding ---------------------------------------------------------------------
    def enc_time(self, value: datetime | None) -> Any:
        return None if value is None else format_time(value)

    def dec_time(self, value: Any) -> datetime | None:
        return None if value is None else parse_time(value)

    def json_time(self, value: datetime) -> str:
        return format_time(value)  # the column's fixed-width text (compares as time)

    def enc_json(self, value: Any) -> Any:
        return None if value is None else json.dumps(value, separators=(",", ":"), default=str)

    def dec_json(self, value: Any) -> Any:
        return None if value is None else json.loads(value)

    def enc_list(self, values: Sequence[Any] | None) -> Any:
        return None if values is None else json.dumps(list(values))

    # ---- schema -----------------------------------------------------------------------------
    async def migrate(self, extra: Sequence[MigrationSet] = ()) -> list[str]:
        applied: list[str] = []
        async with self._lock:
            conn = self.conn
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} ("
                    "version text PRIMARY KEY, applied_at text NOT NULL)")
                cur = await conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE}")
                done = {r[0] for r in await cur.fetchall()}
                for step in pending_steps("sqlite", done, extra):
                    for statement in _split_statements(step.sql or ""):
                        await conn.execute(statement)
                    await conn.execute(
                        f"INSERT INTO {MIGRATIONS_TABLE} (version, applied_at) VALUES (?, ?)",
                        (step.version, format_time(datetime.now(UTC))))
                    applied.append(step.version)
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
        return applied

    async def applied_migrations(self) -> list[str]:
        cur = await self.conn.execute(f"SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version")
        return [r[0] for r in await cur.fetchall()]


def _run_steps(conn: sqlite3.Connection, steps: list[tuple[str, dict[str, Any]]],
               write: bool) -> list[list[dict[str, Any]]]:
    """In the connection's thread: the statements, inside BEGIN IMMEDIATE … COMMIT when
    ``write`` (rolled back on any error)."""
    if write:
        conn.execute("BEGIN IMMEDIATE")
    try:
        results = [[dict(r) for r in conn.execute(sql, params).fetchall()]
                   for sql, params in steps]
        if write:
            conn.execute("COMMIT")
    except BaseException:
        if write:
            conn.execute("ROLLBACK")
        raise
    return results


# SQLite errors that mean the file cannot be used right now, not that the statement is wrong.
_OUTAGE_WORDS = ("locked", "busy", "disk i/o", "disk is full", "readonly", "read-only",
                 "unable to open")


def _is_outage(exc: sqlite3.OperationalError) -> bool:
    return any(word in str(exc).lower() for word in _OUTAGE_WORDS)


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements (sqlite3 executes one at a time)."""
    statements, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements

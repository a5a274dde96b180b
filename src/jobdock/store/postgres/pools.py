"""The Postgres store's connection pools, and how they come back after an outage.

Two pools: one for everything, one for the worker's hot-path writes (session settings
of their own). When the database goes away, requests fail fast with
``StoreUnavailable`` instead of each waiting for a pool that is reconnecting with an
ever longer backoff; a cheap direct probe tells when the server is back, and then the
pools are replaced by fresh ones (no stale connection is ever handed out again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout

T = TypeVar("T")
Work = Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]
Configure = Callable[[psycopg.AsyncConnection[Any]], Awaitable[None]]

# A caller waits this long for a pooled connection before the store reports an outage.
POOL_WAIT_SECONDS = 5.0
CONNECT_TIMEOUT = 5
PROBE_EVERY = 0.2  # while down, at most one reconnection probe per this many seconds
# A dead pooled connection fails with no SQLSTATE (client side) or a shutdown notice.
_STALE_STATES = (None, "57P01", "57P02", "57P03")
log = logging.getLogger("jobdock.store")
# The pool logs every failed reconnect; the worker's outage log says it once instead.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)


class _StalePlans(Exception):
    """A prepared statement's result type changed under it (a migration added a column
    while this process ran): "cached plan must not change result type", SQLSTATE 0A000.
    Nothing ran; the connection, with its prepared statements, is closed (the pool
    replaces it) and the work retried."""


def _dropping_stale_plans(work: Work[T]) -> Work[T]:
    async def guarded(conn: psycopg.AsyncConnection[Any]) -> T:
        try:
            return await work(conn)
        except psycopg.errors.FeatureNotSupported as exc:
            if "cached plan" not in str(exc):
                raise
            await conn.close()
            raise _StalePlans(str(exc)) from exc
    return guarded


class Unreachable(Exception):
    """Raised by :meth:`Pools.run` when the database cannot be used; the store turns it
    into ``StoreUnavailable`` with its own wording."""


def outage_error(exc: BaseException) -> bool:
    """The database, not the statement, failed: a lost connection (no SQLSTATE, class
    08), no resources (53: disk full, out of memory), operator intervention (57:
    shutdown, cancel, timeout) or a system error (58)."""
    state = getattr(exc, "sqlstate", None)
    return state is None or state.startswith(("08", "53", "57", "58"))


class Pools:
    def __init__(self, url: str, *, min_size: int, max_size: int,
                 configure_worker: Configure) -> None:
        self.url = url
        self.sizes = (min_size, max_size)
        self.configure_worker = configure_worker
        self.main, self.worker = self._make()
        self.down_since: float | None = None
        self.epoch = 0  # bumped whenever dead connections were found and replaced
        self._last_probe = 0.0
        self._renewing = asyncio.Lock()
        self._retired: set[asyncio.Task[None]] = set()

    def _make(self) -> tuple[AsyncConnectionPool[Any], AsyncConnectionPool[Any]]:
        kwargs = {"autocommit": True, "row_factory": dict_row,
                  "connect_timeout": CONNECT_TIMEOUT}
        main: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url, min_size=self.sizes[0], max_size=self.sizes[1], open=False,
            kwargs=kwargs, timeout=POOL_WAIT_SECONDS)
        worker: AsyncConnectionPool[Any] = AsyncConnectionPool(
            self.url, min_size=1, max_size=4, open=False, configure=self.configure_worker,
            kwargs=kwargs, timeout=POOL_WAIT_SECONDS)
        return main, worker

    async def open(self) -> None:
        await self.main.open(wait=True, timeout=10.0)
        await self.worker.open(wait=False)

    async def close(self) -> None:
        await self.worker.close()
        await self.main.close()
        if self._retired:
            await asyncio.gather(*self._retired, return_exceptions=True)

    async def run(self, work: Work[T], *, worker: bool = False) -> T:
        """Run ``work`` on a pooled connection; again on another when that connection's
        prepared statements predate a schema change (see ``_StalePlans``)."""
        for _ in range(self.sizes[1] + 4):  # each retry closes one stale connection
            try:
                return await self._run(_dropping_stale_plans(work), worker=worker)
            except _StalePlans:
                log.info("dropped a connection whose prepared statements predate a "
                         "schema change; retrying")
        return await self._run(work, worker=worker)

    async def _run(self, work: Work[T], *, worker: bool) -> T:
        """Run ``work`` on a pooled connection; once more when that connection turned
        out dead (a server restart leaves the pool full of them)."""
        if self.down_since is not None:
            await self._probe()
        for attempt in (1, 2):
            pool = self.worker if worker else self.main
            try:
                async with pool.connection() as conn:
                    return await work(conn)
            except PoolTimeout as exc:
                self._went_down()
                raise Unreachable(str(exc)) from exc
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if not outage_error(exc):
                    raise
                if attempt == 2 or getattr(exc, "sqlstate", None) not in _STALE_STATES:
                    self._went_down()
                    raise Unreachable(str(exc)) from exc
                # A restart leaves the pool full of dead connections: if the server
                # answers again, drop them all and try once more; if not, fail now.
                await self._reachable_or_down()
                await pool.check()
                self.epoch += 1
        raise AssertionError("unreachable")

    def _went_down(self) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()

    async def _connect_once(self) -> None:
        try:
            conn = await psycopg.AsyncConnection.connect(self.url, connect_timeout=2)
        except psycopg.Error as exc:
            raise Unreachable(str(exc)) from exc
        await conn.close()

    async def _reachable_or_down(self) -> None:
        try:
            await self._connect_once()
        except Unreachable:
            self._went_down()
            raise

    async def _probe(self) -> None:
        """While down: fail fast, except for one direct connection attempt now and then;
        when it succeeds, swap in fresh pools."""
        async with self._renewing:
            if self.down_since is None:
                return  # another caller already brought the pools back
            if time.monotonic() - self._last_probe < PROBE_EVERY:
                raise Unreachable("the database is still unreachable")
            self._last_probe = time.monotonic()
            await self._connect_once()
            old = (self.main, self.worker)
            self.main, self.worker = self._make()
            await self.main.open(wait=False)
            await self.worker.open(wait=False)
            self.down_since = None
            self.epoch += 1
        for pool in old:  # their connections are dead or soon returned; close in background
            task = asyncio.get_running_loop().create_task(pool.close(timeout=1.0))
            self._retired.add(task)
            task.add_done_callback(self._retired.discard)

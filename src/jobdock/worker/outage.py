"""Riding out a database outage: one log line per outage, jittered backoff, patience.

Every loop of a worker (claims, progress, heartbeats, maintenance, recording outcomes)
reports its database calls here. While the database is unreachable the worker keeps
running, retries with exponential backoff plus jitter (so many workers do not reconnect
in lockstep), and logs the outage once when it starts and once when it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from jobdock.store import is_store_conflict, is_store_outage

T = TypeVar("T")
log = logging.getLogger("jobdock.worker")


CONFLICT_PAUSE = 0.1  # seconds before a write the database rolled back is tried again

class OutageGaveUp(Exception):
    """The database stayed unreachable longer than the caller was willing to wait."""


class Outage:
    def __init__(self, worker_id: str, base: float = 0.05, cap: float = 2.0) -> None:
        self.worker_id = worker_id
        self.base = base
        self.cap = cap
        self.down_since: float | None = None
        self.failures = 0
        self.outages = 0

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def failed(self, exc: BaseException) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            log.warning("worker %s: database unavailable (%s); retrying until it is back",
                        self.worker_id, " ".join(str(exc).split())[:300])
        self.failures += 1

    def recovered(self) -> None:
        if self.down_since is not None:
            log.warning("worker %s: database back after %.1fs", self.worker_id,
                        time.monotonic() - self.down_since)
            self.down_since = None
            self.failures = 0

    def delay(self) -> float:
        """Exponential backoff with full jitter in its upper half: base·2ⁿ, capped."""
        step = min(self.cap, self.base * 2 ** min(self.failures, 16))
        return float(step * random.uniform(0.5, 1.0))

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """One attempt: success ends an outage, an outage error starts or extends one."""
        try:
            result = await fn()
        except Exception as exc:
            if is_store_outage(exc):
                self.failed(exc)
            raise
        self.recovered()
        return result

    async def persist(self, fn: Callable[[], Awaitable[T]], patience: float,
                      stop: asyncio.Event | None = None) -> T:
        """Retry ``fn`` through an outage for up to ``patience`` seconds (or until
        ``stop`` is set), and when the database rolled it back for a conflict with
        another session (a deadlock: nothing of it remains); other errors pass through
        at once."""
        deadline = time.monotonic() + patience
        while True:
            try:
                return await self.call(fn)
            except Exception as exc:
                conflict = is_store_conflict(exc)
                if not (conflict or is_store_outage(exc)):
                    raise
                if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
                    raise OutageGaveUp(str(exc)) from exc
            if conflict:
                await asyncio.sleep(CONFLICT_PAUSE)
            else:
                await self.pause(stop)

    async def pause(self, stop: asyncio.Event | None = None) -> None:
        """Wait one backoff step (less if ``stop`` is set meanwhile)."""
        if stop is None:
            await asyncio.sleep(self.delay())
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.delay())

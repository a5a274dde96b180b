"""Maintenance services, each a small object with ``run_once()``.

Every worker runs them periodically; ``SKIP LOCKED`` (Postgres) and the write lock
(SQLite) make concurrent runs safe.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from jobdock.jobs.clock import Clock
from jobdock.jobs.model import Job
from jobdock.store import Store

log = logging.getLogger("jobdock.maintenance")


class Rescuer:
    """Hands back processing jobs whose heartbeat expired: their worker died."""

    def __init__(self, store: Store, clock: Clock, heartbeat_timeout: float) -> None:
        self.store = store
        self.clock = clock
        self.heartbeat_timeout = heartbeat_timeout

    async def run_once(self) -> list[Job]:
        now = self.clock.now()
        rescued = await self.store.job_rescue_stale(
            now - timedelta(seconds=self.heartbeat_timeout), now)
        for job in rescued:
            log.warning("rescued job %s: no heartbeat for %.0fs; back to pending",
                        job.id, self.heartbeat_timeout)
        return rescued


class RetryScheduler:
    """Moves failed jobs whose ``next_retry_at`` has passed back to pending."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    async def run_once(self) -> list[Job]:
        requeued = await self.store.job_retry_due(self.clock.now())
        for job in requeued:
            log.info("retrying job %s (retry %d of %d)", job.id, job.retry_count, job.max_retries)
        return requeued

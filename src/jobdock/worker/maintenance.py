"""Maintenance services, each a small object with ``run_once()``.

Every worker runs them periodically; ``SKIP LOCKED`` (Postgres) and the write lock
(SQLite) make concurrent runs safe.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from jobdock.jobfiles import delete_files_of_deleted_job, delete_job_files
from jobdock.jobs.clock import Clock
from jobdock.jobs.model import Job
from jobdock.jobs.registry import Registry
from jobdock.storage import Storage
from jobdock.store import Store, is_store_outage

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


class Pruner:
    """Retention: deletes completed and cancelled jobs not written for ``max_age`` seconds,
    a batch at a time, with their stored files (a completed job's final results outside
    its ``jobs/{id}/`` prefix stay, as when an admin deletes it). Runs at most every
    ``every`` seconds (the query is not free at a million rows). Nothing pending,
    running, paused or failed is touched: the delete re-checks the status it read."""

    def __init__(self, store: Store, storage: Storage, clock: Clock, max_age: float,
                 batch: int = 500, every: float = 60.0) -> None:
        self.store, self.storage, self.clock = store, storage, clock
        self.max_age, self.batch, self.every = max_age, batch, every
        self._last: float | None = None

    async def run_once(self, *, force: bool = False) -> int:
        now = self.clock.now()
        stamp = now.timestamp()
        if not force and self._last is not None and stamp - self._last < self.every:
            return 0
        self._last = stamp
        pruned = 0
        for job_id, status in await self.store.job_ids_prunable(
                now - timedelta(seconds=self.max_age), self.batch):
            try:
                await delete_files_of_deleted_job(self.store, self.storage, job_id,
                                                  completed=status == "completed")
            except Exception as exc:
                _skip_or_raise(exc, "the files of expired", job_id)
                continue  # kept, with its records, for the next round
            if await self.store.job_delete(job_id, status):
                await self.store.file_forget_job(job_id)
                pruned += 1
        if pruned:
            log.info("retention: pruned %d finished job(s) older than %.0fs", pruned,
                     self.max_age)
        return pruned


class LeftoverSweeper:
    """Finishes the cleanup a worker killed after recording a completion never did: the
    intermediate files of completed jobs whose job type does not keep them. The owner's
    own cleanup may run at the same time; deleting a key twice is harmless. Runs at most
    every ``every`` seconds (the query joins the file records)."""

    def __init__(self, store: Store, storage: Storage, clock: Clock, registry: Registry,
                 batch: int = 200, every: float = 60.0) -> None:
        self.store, self.storage, self.clock = store, storage, clock
        self.types = [t.name for t in registry.all() if not t.keep_intermediate]
        self.batch, self.every = batch, every
        self._last: float | None = None

    async def run_once(self, *, force: bool = False) -> int:
        stamp = self.clock.now().timestamp()
        if not force and self._last is not None and stamp - self._last < self.every:
            return 0
        self._last = stamp
        if not self.types:
            return 0
        swept = 0
        for job_id in await self.store.job_ids_leftover_files(self.types, self.batch):
            try:
                swept += len(await delete_job_files(self.store, self.storage, job_id,
                                                    keep_final=True))
            except Exception as exc:
                _skip_or_raise(exc, "the leftover files of", job_id)
        if swept:
            log.warning("deleted %d intermediate file(s) left by completed jobs", swept)
        return swept


def _skip_or_raise(exc: Exception, what: str, job_id: object) -> None:
    """One job's files could not be deleted: log it and go on with the others (its file
    records stay, so a later round tries again), unless the database is away (then the
    whole round stops, as every other step of it would fail too)."""
    if is_store_outage(exc):
        raise exc
    log.warning("could not delete %s job %s: %s", what, job_id, " ".join(str(exc).split())[:300])

"""Batches job completions: jobs that finish together are recorded in one statement.

Recording does not hold the job's slot: the worker claims the next job while earlier
completions are written (a crash in between leaves the job ``processing``; the rescuer
hands it back, as for any crash). ``drain()`` waits for every pending write.

While a worker's claim loop runs it takes the queued completions itself (``take`` /
``settle``) and records them in the same round trip as its next claim; ``owner`` says
whether it will. Otherwise (no loop, an outage, shutdown) the completer writes them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any

from jobdock.jobs.clock import Clock
from jobdock.jobs.model import JobStatus
from jobdock.store import Store
from jobdock.worker.outage import Outage

log = logging.getLogger("jobdock.worker")

_Item = tuple[uuid.UUID, Any, dict[str, Any] | None, "asyncio.Future[bool]"]


class Completer:
    def __init__(self, store: Store, worker_id: str, clock: Clock, max_batch: int = 200, *,
                 outage: Outage | None = None, patience: float = 30.0) -> None:
        self.store = store
        self.outage = outage or Outage(worker_id)
        self.patience = patience
        self.worker_id = worker_id
        self.clock = clock
        self.max_batch = max_batch
        self._pending: list[_Item] = []
        self.in_flight: set[uuid.UUID] = set()  # queued or being written
        # given back after a failed write of the caller's: it may have committed unheard
        self._maybe_recorded: set[uuid.UUID] = set()
        self._flushing: asyncio.Task[None] | None = None
        # Called when a completion is queued: True when the caller (the worker's claim
        # loop) will take it with its next round trip, False to have it written here.
        self.owner: Callable[[], bool] | None = None

    def complete(self, job_id: uuid.UUID, output: Any,
                 progress: dict[str, Any] | None) -> asyncio.Future[bool]:
        """Queue a completion; the future says whether the guarded update won."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((job_id, output, progress, future))
        self.in_flight.add(job_id)
        if self.owner is None or not self.owner():
            self._flush_soon()
        return future

    def _flush_soon(self) -> None:
        if self._pending and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.create_task(self._flush())

    @property
    def pending(self) -> int:
        return len(self._pending)

    def take(self) -> list[_Item]:
        """The queued completions (one batch), for the caller to record and ``settle``
        (or ``give_back``)."""
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
        return batch

    def settle(self, batch: list[_Item], won: set[uuid.UUID]) -> None:
        """``batch`` was recorded: ``won`` are the guarded updates that won."""
        for job_id, *_, future in batch:
            self.in_flight.discard(job_id)
            if not future.done():
                future.set_result(job_id in won)
            if job_id not in won:
                log.info("job %s finished but was no longer ours; result not recorded",
                         job_id)

    def give_back(self, batch: list[_Item]) -> None:
        """``batch`` could not be recorded by the caller: the completer writes it (riding
        out an outage as usual)."""
        self._pending[:0] = batch
        self._maybe_recorded.update(i for i, *_ in batch)
        self._flush_soon()

    async def drain(self) -> None:
        self._flush_soon()
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)

    async def _record(self, rows: list[tuple[uuid.UUID, Any, dict[str, Any] | None]]
                      ) -> set[uuid.UUID]:
        return await self.store.job_complete_many(self.worker_id, rows, self.clock.now())

    async def _recorded_unheard(self, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Which of ``ids`` an earlier attempt did complete: its statement committed but
        the answer was lost (a connection cut after the commit), so the retry found them
        completed already, by this worker. They are won: the caller logs and cleans up."""
        if not ids:
            return set()
        try:
            flags = await self.outage.persist(
                functools.partial(self.store.job_control_flags, ids), self.patience)
        except Exception as exc:  # the sweeper cleans up after them later
            log.warning("could not tell whether %d completion(s) went through: %s",
                        len(ids), exc)
            return set()
        return {i for i, f in flags.items()
                if f.status == JobStatus.COMPLETED and f.worker_id == self.worker_id}

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the jobs finishing in this loop turn join the batch
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            rows = [(i, o, p) for i, o, p, _ in batch]
            attempts = 0

            async def record() -> set[uuid.UUID]:
                nonlocal attempts
                attempts += 1
                return await self._record(rows)  # noqa: B023 - awaited in this iteration
            try:
                # Through an outage the write waits for the database (the job stays ours
                # while the heartbeat timeout has not run out), then is recorded.
                won = await self.outage.persist(record, self.patience)
                unheard = [i for i, *_ in rows if i not in won and
                           (attempts > 1 or i in self._maybe_recorded)]
                won |= await self._recorded_unheard(unheard)
            except Exception as exc:  # OutageGaveUp too
                # Unrecorded jobs stay `processing`; the rescuer hands them back later.
                log.warning("could not record %d completion(s): %s", len(batch), exc)
                won = set()
            self._maybe_recorded.difference_update(i for i, *_ in batch)
            self.settle(batch, won)

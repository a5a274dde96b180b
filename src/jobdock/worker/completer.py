"""Batches job completions: jobs that finish together are recorded in one statement."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from jobdock.jobs.clock import Clock
from jobdock.store import Store

_Item = tuple[uuid.UUID, Any, dict[str, Any] | None, "asyncio.Future[bool]"]


class Completer:
    def __init__(self, store: Store, worker_id: str, clock: Clock, max_batch: int = 100) -> None:
        self.store = store
        self.worker_id = worker_id
        self.clock = clock
        self.max_batch = max_batch
        self._pending: list[_Item] = []
        self._flushing: asyncio.Task[None] | None = None

    async def complete(self, job_id: uuid.UUID, output: Any,
                       progress: dict[str, Any] | None) -> bool:
        """Record a completion; True if the job was still ours (the guarded update won)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((job_id, output, progress, future))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # let the jobs finishing in this loop turn join the batch
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            try:
                won = await self.store.job_complete_many(
                    self.worker_id, [(i, o, p) for i, o, p, _ in batch], self.clock.now())
            except Exception as exc:
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for job_id, *_, future in batch:
                if not future.done():
                    future.set_result(job_id in won)

"""An in-process publish/subscribe bus of job events, safe to publish from any thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True)
class JobEvent:
    op: str  # insert, update, delete, queue (a job became due), cancel, pause (asked of a run)
    id: str | None = None
    status: str | None = None
    job_type: str | None = None
    user_id: str | None = None
    worker_id: str | None = None  # cancel/pause: the worker running the job


class EventBus:
    def __init__(self, max_queue: int = 10_000) -> None:
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[JobEvent]]] = set()
        self._max_queue = max_queue

    def publish(self, event: JobEvent) -> None:
        try:
            here: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # published from a thread without a loop
            here = None
        for loop, queue in list(self._subscribers):
            if loop is here:  # its own loop: now, not through a wake-up of the loop
                _put_nowait(queue, event)
                continue
            try:
                loop.call_soon_threadsafe(_put_nowait, queue, event)
            except RuntimeError:  # that loop is closed
                self._subscribers.discard((loop, queue))

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[JobEvent]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[JobEvent](self._max_queue))
        self._subscribers.add(entry)
        try:
            yield entry[1]
        finally:
            self._subscribers.discard(entry)


def _put_nowait(queue: asyncio.Queue[JobEvent], event: JobEvent) -> None:
    # A subscriber that cannot keep up loses events rather than blocking publishers;
    # the UI catches up from the database.
    with contextlib.suppress(asyncio.QueueFull):
        queue.put_nowait(event)

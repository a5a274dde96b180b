"""One Server-Sent Events stream of job changes, coalesced so pages refresh a few times a
second at most.

Each message is ``change`` (something changed; data: the ids) plus ``job-{id}`` per job.
Every (re)connection starts with a ``change``, so a page that lost the stream catches up.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse

from jobdock.app import EventBus, JobEvent
from jobdock.web.context import dock_of

router = APIRouter()

COALESCE_SECONDS = 0.15
MAX_IDS = 50
RETRY_MS = 1000


async def collect(queue: asyncio.Queue[JobEvent], window: float) -> list[str]:
    """Wait for a job event, then gather what else arrives within ``window`` seconds."""
    ids: dict[str, None] = {}
    loop = asyncio.get_running_loop()
    deadline: float | None = None
    while True:
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        try:
            event = await asyncio.wait_for(queue.get(), timeout)
        except TimeoutError:
            return list(ids)
        if event.id is None:
            continue  # "a job became due": an update event about it comes too
        ids[event.id] = None
        deadline = deadline or loop.time() + window


async def job_changes(bus: EventBus, window: float = COALESCE_SECONDS
                      ) -> AsyncIterator[dict[str, Any]]:
    async with bus.subscribe() as queue:
        yield {"event": "change", "data": "[]", "retry": RETRY_MS}
        while True:
            ids = await collect(queue, window)
            yield {"event": "change", "data": json.dumps(ids[:MAX_IDS])}
            for job_id in ids[:MAX_IDS]:
                yield {"event": f"job-{job_id}", "data": job_id}


@router.get("/events", include_in_schema=False)
async def events(request: Request) -> EventSourceResponse:
    return EventSourceResponse(job_changes(dock_of(request).bus), ping=15,
                               headers={"Cache-Control": "no-store"})

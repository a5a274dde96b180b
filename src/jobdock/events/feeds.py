"""Feeds that turn database changes into bus events: NOTIFY on Postgres, polling on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta

from jobdock.events.bus import EventBus, JobEvent
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.store import Store

log = logging.getLogger("jobdock.events")


async def listen_postgres(url: str, bus: EventBus, ready: asyncio.Event | None = None) -> None:
    """LISTEN on the job channels and publish what arrives; reconnect when dropped."""
    import psycopg

    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute("LISTEN jobdock_queue")
                await conn.execute("LISTEN jobdock_jobs")
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    bus.publish(_parse(note.channel, note.payload))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("event listener lost its connection (%s); reconnecting", exc)
            await asyncio.sleep(1.0)


def _parse(channel: str, payload: str) -> JobEvent:
    if channel == "jobdock_queue" or not payload:
        return JobEvent("queue")
    data = json.loads(payload)
    return JobEvent(data.get("op", "update"), str(data.get("id")), data.get("status"),
                    data.get("job_type"), data.get("user_id"))


async def poll_changes(store: Store, bus: EventBus, interval: float = 0.5,
                       clock: Clock | None = None) -> None:
    """Publish jobs whose ``updated_at`` moved (changes made by other processes)."""
    clock = clock or SystemClock()
    since: datetime = clock.now() - timedelta(seconds=1)
    while True:
        with contextlib.suppress(Exception):
            rows = await store.job_changed_since(since)
            for row in rows:
                bus.publish(JobEvent("update", row["id"], row["status"], row["job_type"],
                                     row["user_id"]))
                if row["status"] == "pending":
                    bus.publish(JobEvent("queue"))
            if rows:
                since = rows[-1]["updated_at"]
        await asyncio.sleep(interval)

"""Feeds that turn database changes into bus events: NOTIFY on Postgres, polling on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from datetime import datetime, timedelta

from jobdock.events.bus import EventBus, JobEvent
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.store import Store

log = logging.getLogger("jobdock.events")


QUEUE_CHANNEL = "jobdock_queue"  # a job became due: wakes workers (empty payload)
JOBS_CHANNEL = "jobdock_jobs"  # jobs changed: feeds the UI (ids and statuses)
CONTROL_CHANNEL = "jobdock_control"  # "cancel|pause <job id> <worker id>": to that worker


async def listen_postgres(url: str, bus: EventBus, ready: asyncio.Event | None = None,
                          channels: tuple[str, ...] = (QUEUE_CHANNEL, JOBS_CHANNEL)) -> None:
    """LISTEN on the job channels and publish what arrives; reconnect when dropped."""
    import psycopg

    down_since: float | None = None
    failures = 0
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                    url, autocommit=True, connect_timeout=5) as conn:
                for channel in channels:
                    await conn.execute(f"LISTEN {channel}")
                if down_since is not None:
                    log.warning("event listener reconnected after %.1fs",
                                time.monotonic() - down_since)
                    # Changes made while deaf: tell listeners to look again.
                    bus.publish(JobEvent("queue"))
                    bus.publish(JobEvent("update"))
                down_since, failures = None, 0
                if ready is not None:
                    ready.set()
                async for note in conn.notifies():
                    for event in _parse(note.channel, note.payload):
                        bus.publish(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if down_since is None:  # once per outage, not once per attempt
                down_since = time.monotonic()
                log.warning("event listener lost its connection (%s); reconnecting",
                            " ".join(str(exc).split())[:300])
            failures += 1
            await asyncio.sleep(min(2.0, 0.05 * 2 ** min(failures, 6)) * random.uniform(0.5, 1))


def _parse(channel: str, payload: str) -> list[JobEvent]:
    """One notification per statement: ``{"op", "jobs": [[id, status, type, user]…]}``,
    or ``{"op", "count"}`` when too many rows changed to list them."""
    if channel == QUEUE_CHANNEL or not payload:
        return [JobEvent("queue")]
    if channel == CONTROL_CHANNEL:
        kind, job_id, worker_id = [*payload.split(" ", 2), "", ""][:3]
        return [JobEvent(kind, job_id, worker_id=worker_id or None)]
    data = json.loads(payload)
    op = data.get("op", "update")
    if "jobs" not in data:
        return [JobEvent(op)]  # many rows: listeners refresh what they show
    return [JobEvent(op, str(i), status, job_type, user_id)
            for i, status, job_type, user_id in data["jobs"]]


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

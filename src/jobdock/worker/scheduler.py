"""The periodic enqueuer: a maintenance service every worker runs.

For each due schedule it computes the next run after now and calls
``store.schedule_fire``: one transaction that moves the schedule from this due time to
the next (compare-and-set on the due time) and inserts the period's job. Whichever
worker commits first wins; the others' compare-and-set matches nothing, so a period is
enqueued exactly once however many workers run, and a worker killed mid-way leaves the
period to the next one (its transaction rolled back). A period missed while no worker
ran is enqueued once: the next run is computed from now, not from the missed time.
"""

from __future__ import annotations

import logging
import uuid

from jobdock.jobs.clock import Clock
from jobdock.jobs.periodic import schedule_of
from jobdock.jobs.registry import Registry
from jobdock.store import Store

log = logging.getLogger("jobdock.scheduler")


class PeriodicEnqueuer:
    def __init__(self, store: Store, clock: Clock, registry: Registry) -> None:
        self.store = store
        self.clock = clock
        self.registry = registry

    async def declare(self) -> None:
        """Write the schedules and limits declared in code (a worker does it at start)."""
        now = self.clock.now()
        for schedule in self.registry.schedules():
            await self.store.schedule_put(schedule, "code", now)
        for name, limit in self.registry.limits().items():
            await self.store.limit_set("type", name, limit, False, now)

    async def run_once(self) -> list[uuid.UUID]:
        now = self.clock.now()
        enqueued = []
        for row in await self.store.schedule_due(now):
            schedule = schedule_of(row)
            queue = schedule.queue or self._queue_of(schedule.job_type)
            due = row["next_run_at"]
            metadata = {"periodic": schedule.name, "period": due.isoformat()}
            job_id = await self.store.schedule_fire(schedule.name, due,
                                                    schedule.next_after(now), queue,
                                                    metadata, now)
            if job_id is not None:
                log.info("schedule %s: enqueued job %s for %s", schedule.name, job_id,
                         due.isoformat())
                enqueued.append(job_id)
        return enqueued

    def _queue_of(self, job_type: str) -> str:
        return self.registry.get(job_type).queue if job_type in self.registry else "default"

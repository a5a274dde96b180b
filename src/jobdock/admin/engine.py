"""Admin verbs for the engine features: schedules, limits, workers, bulk actions.

Mixed into AdminService (one admin API for web, CLI and client).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from jobdock.admin.errors import AdminError, InvalidRequest, ScheduleNotFound
from jobdock.jobs.clock import Clock
from jobdock.jobs.model import Job
from jobdock.jobs.periodic import BadSchedule, Schedule, schedule_of
from jobdock.jobs.registry import Registry
from jobdock.jobs.states import ADMIN_ACTIONS, IllegalTransition
from jobdock.store import JobFilter, Store

LIVE_WORKER_SECONDS = 60.0  # a worker silent this long is not listed
BULK_ACTIONS = ("pause", "resume", "cancel", "retry")
BULK_BATCH = 100


class EngineAdmin:
    store: Store
    registry: Registry
    clock: Clock

    # ---- periodic schedules ------------------------------------------------------------------
    async def schedule_add(self, schedule: Schedule) -> dict[str, Any]:
        """Add or replace a schedule at run time (workers pick it up at once)."""
        if schedule.job_type not in self.registry:
            raise InvalidRequest(f"unknown job type {schedule.job_type!r}")
        return await self.store.schedule_put(schedule, "runtime", self.clock.now())

    def schedule_from(self, name: str, job_type: str, *, cron: str | None = None,
                      every: timedelta | None = None, **fields: Any) -> Schedule:
        try:
            return Schedule(name=name, job_type=job_type, cron=cron, every=every, **fields)
        except BadSchedule as exc:
            raise InvalidRequest(str(exc)) from None

    async def schedule_list(self) -> list[dict[str, Any]]:
        return await self.store.schedule_list()

    async def schedule_remove(self, name: str) -> None:
        if not await self.store.schedule_delete(name):
            raise ScheduleNotFound(name)

    async def schedule_pause(self, name: str) -> dict[str, Any]:
        row = await self.store.schedule_set_paused(name, self.clock.now(), None,
                                                   self.clock.now())
        if row is None:
            raise ScheduleNotFound(name)
        return row

    async def schedule_resume(self, name: str) -> dict[str, Any]:
        """Resume: the next run is the first one after now (paused periods are skipped)."""
        row = await self.store.schedule_get(name)
        if row is None:
            raise ScheduleNotFound(name)
        now = self.clock.now()
        resumed = await self.store.schedule_set_paused(name, None,
                                                       schedule_of(row).next_after(now), now)
        assert resumed is not None
        return resumed

    # ---- concurrency limits ------------------------------------------------------------------
    async def limit_set(self, kind: str, name: str, max_running: int | None,
                        fair: bool = False) -> dict[str, Any]:
        if kind not in ("type", "queue"):
            raise InvalidRequest("a limit applies to a 'type' or a 'queue'")
        if kind == "type" and fair:
            raise InvalidRequest("fairness is set on a queue")
        if max_running is not None and not 0 <= max_running <= 100_000:
            raise InvalidRequest("max_running must be between 0 and 100000")
        if max_running is None and not fair:
            raise InvalidRequest("give a maximum, or make the queue fair")
        return await self.store.limit_set(kind, name, max_running, fair, self.clock.now())

    async def limit_remove(self, kind: str, name: str) -> None:
        if not await self.store.limit_remove(kind, name):
            raise InvalidRequest(f"no limit on {kind} {name!r}")

    async def limit_list(self) -> list[dict[str, Any]]:
        return await self.store.limit_list()

    # ---- workers -----------------------------------------------------------------------------
    async def workers(self) -> list[dict[str, Any]]:
        cutoff = self.clock.now() - timedelta(seconds=LIVE_WORKER_SECONDS)
        return await self.store.worker_list(cutoff)

    # ---- bulk actions --------------------------------------------------------------------------
    async def bulk(self, action: str, f: JobFilter, *, max_jobs: int = 100_000,
                   user_id: str | None = None) -> dict[str, Any]:
        """Apply an action to every job the filter selects, in batches of BULK_BATCH.

        Only jobs in a status the action applies to are selected (the admin action table);
        each then goes through its own single-job verb (its guard and race handling), and
        one that changed meanwhile is counted as skipped, not an error.
        """
        verb = self._bulk_verb(action)
        done, skipped = 0, 0
        seen: set[uuid.UUID] = set()
        if action in ADMIN_ACTIONS:  # select only the statuses the action applies to
            sources = {s.value for s in ADMIN_ACTIONS[action][0]}
            statuses = tuple(s for s in (f.statuses or sorted(sources)) if s in sources)
            if not statuses:
                return {"action": action, "matched": 0, "done": 0, "skipped": 0}
            f = dataclasses.replace(f, statuses=statuses)
        f = dataclasses.replace(f, limit=BULK_BATCH, after=None, sort="created")
        while len(seen) < max_jobs:
            page = [j for j in await self.store.job_list(f) if j.id not in seen]
            if not page:
                break
            for job in page:
                seen.add(job.id)
                try:
                    await verb(job.id, user_id)
                    done += 1
                except (IllegalTransition, AdminError):
                    skipped += 1
            last = page[-1]
            f = dataclasses.replace(f, after=(last.created_at, last.id))
        return {"action": action, "matched": len(seen), "done": done, "skipped": skipped}

    def _bulk_verb(self, action: str) -> Callable[[uuid.UUID, str | None], Awaitable[Any]]:
        verbs: dict[str, Callable[[uuid.UUID, str | None], Awaitable[Job | dict[str, Any]]]] = {
            "pause": lambda i, u: self.pause_job(i, "Paused in bulk", user_id=u),
            "resume": lambda i, u: self.resume_job(i, user_id=u),
            "cancel": lambda i, u: self.cancel_and_delete_job(i, user_id=u),
            "retry": lambda i, u: self.retry_job(i, user_id=u),
        }
        if action not in verbs:
            raise InvalidRequest(f"unknown bulk action {action!r} "
                                 f"(use: {', '.join(BULK_ACTIONS)})")
        return verbs[action]

    # provided by AdminService
    async def pause_job(self, job_id: uuid.UUID | str, reason: str | None = None,
                        user_id: str | None = None) -> Job:
        raise NotImplementedError

    async def resume_job(self, job_id: uuid.UUID | str, user_id: str | None = None) -> Job:
        raise NotImplementedError

    async def retry_job(self, job_id: uuid.UUID | str, user_id: str | None = None) -> Job:
        raise NotImplementedError

    async def cancel_and_delete_job(self, job_id: uuid.UUID | str,
                                    user_id: str | None = None) -> dict[str, Any]:
        raise NotImplementedError

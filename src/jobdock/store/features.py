"""Store methods for the engine features beyond one job's life: concurrency limits,
periodic schedules, the live workers table, dependencies and metrics.

Mixed into Store (like ``InsertQueries``); rows travel as plain dicts with JSON and time
fields decoded.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jobdock.jobs.ids import new_job_id
from jobdock.jobs.periodic import Schedule
from jobdock.store.runner import QueryRunner

_SCHEDULE_TIMES = ("next_run_at", "last_run_at", "paused_at", "created_at", "updated_at")
_WORKER_TIMES = ("started_at", "heartbeat_at")


class FeatureQueries(QueryRunner):
    """Limits, schedules, workers, dependencies and metrics over the dialect's queries."""

    def _decode(self, row: dict[str, Any], times: Sequence[str],
                jsons: Sequence[str] = ()) -> dict[str, Any]:
        out = dict(row)
        for name in times:
            out[name] = self.dec_time(out.get(name))
        for name in jsons:
            out[name] = self.dec_json(out.get(name))
        return out

    # ---- concurrency limits ----------------------------------------------------------------
    async def limit_set(self, kind: str, name: str, max_running: int | None, fair: bool,
                        now: datetime) -> dict[str, Any]:
        steps = [("limit_upsert", {"kind": kind, "name": name, "max_running": max_running,
                                   "fair": fair, "now": self.enc_time(now)}),
                 ("limit_mark_jobs", {"name": name})]
        row = (await self.fetch_in_transaction(steps))[0][0]
        return {**row, "fair": bool(row["fair"])}

    async def limit_remove(self, kind: str, name: str) -> bool:
        steps = [("limit_delete", {"kind": kind, "name": name}),
                 ("limit_mark_jobs", {"name": name})]
        return bool((await self.fetch_in_transaction(steps))[0])

    async def limit_list(self) -> list[dict[str, Any]]:
        return [{**r, "fair": bool(r["fair"]), "updated_at": self.dec_time(r["updated_at"])}
                for r in await self.fetch("limit_list", {})]

    # ---- periodic schedules ----------------------------------------------------------------
    async def schedule_put(self, schedule: Schedule, source: str,
                           now: datetime) -> dict[str, Any]:
        rows = await self.fetch("schedule_upsert", {
            "name": schedule.name, "job_type": schedule.job_type, "cron": schedule.cron,
            "interval_seconds": schedule.interval_seconds, "timezone": schedule.timezone,
            "input_data": self.enc_json(schedule.input_data), "user_id": schedule.user_id,
            "queue": schedule.queue, "priority": schedule.priority,
            "max_retries": schedule.max_retries, "source": source,
            "next_run_at": self.enc_time(schedule.next_after(now)), "now": self.enc_time(now)})
        return self._schedule(rows[0])

    def _schedule(self, row: dict[str, Any]) -> dict[str, Any]:
        out = self._decode(row, _SCHEDULE_TIMES, ("input_data",))
        out["last_job_id"] = str(out["last_job_id"]) if out["last_job_id"] else None
        out.pop("claim_token", None)
        return out

    async def schedule_get(self, name: str) -> dict[str, Any] | None:
        rows = await self.fetch("schedule_get", {"name": name})
        return self._schedule(rows[0]) if rows else None

    async def schedule_list(self) -> list[dict[str, Any]]:
        return [self._schedule(r) for r in await self.fetch("schedule_list", {})]

    async def schedule_delete(self, name: str) -> bool:
        return bool(await self.fetch("schedule_delete", {"name": name}))

    async def schedule_set_paused(self, name: str, paused_at: datetime | None,
                                  next_run_at: datetime | None,
                                  now: datetime) -> dict[str, Any] | None:
        rows = await self.fetch("schedule_set_paused", {
            "name": name, "paused_at": self.enc_time(paused_at),
            "next_run_at": self.enc_time(next_run_at), "now": self.enc_time(now)})
        return self._schedule(rows[0]) if rows else None

    async def schedule_due(self, now: datetime, limit: int = 100) -> list[dict[str, Any]]:
        return [self._schedule(r) for r in await self.fetch(
            "schedule_due", {"now": self.enc_time(now), "limit": limit})]

    async def schedule_fire(self, name: str, due: datetime, next_run_at: datetime,
                            queue: str, metadata: dict[str, Any],
                            now: datetime) -> uuid.UUID | None:
        """Claim the period ``due`` of a schedule and insert its job, in one transaction.

        Returns the new job's id, or None when another enqueuer claimed the period first.
        """
        job_id, token = new_job_id(), uuid.uuid4().hex
        common = {"name": name, "job_id": self.enc_id(job_id), "token": token,
                  "now": self.enc_time(now)}
        steps = [("schedule_advance", {**common, "due": self.enc_time(due),
                                       "next_run_at": self.enc_time(next_run_at)}),
                 ("schedule_enqueue", {**common, "queue": queue,
                                       "metadata": self.enc_json(metadata),
                                       "unique_key": f"periodic:{name}:{due.isoformat()}"})]
        advanced, inserted = await self.fetch_in_transaction(steps)
        return job_id if advanced and inserted else None

    # ---- retention ---------------------------------------------------------------------------
    async def job_ids_prunable(self, cutoff: datetime, limit: int) -> list[tuple[uuid.UUID, str]]:
        """Completed and cancelled jobs not written since ``cutoff``, oldest first."""
        rows = await self.fetch("job_ids_prunable", {"cutoff": self.enc_time(cutoff),
                                                     "limit": limit})
        return [(uuid.UUID(str(r["id"])), str(r["status"])) for r in rows]

    async def job_ids_leftover_files(self, types: Sequence[str],
                                     limit: int) -> list[uuid.UUID]:
        """Completed jobs of ``types`` that still record intermediate files."""
        rows = await self.fetch("job_ids_leftover_files", {"types": self.enc_list(list(types)),
                                                           "limit": limit})
        return [uuid.UUID(str(r["id"])) for r in rows]

    # ---- live workers ------------------------------------------------------------------------
    async def worker_announce(self, info: dict[str, Any], jobs_running: int,
                              now: datetime) -> None:
        await self.fetch("worker_upsert", {
            **info, "queues": self.enc_json(info.get("queues")),
            "types": self.enc_json(info.get("types")), "jobs_running": jobs_running,
            "now": self.enc_time(now)})

    async def worker_remove(self, worker_id: str) -> None:
        await self.fetch("worker_delete", {"id": worker_id})

    async def worker_prune(self, cutoff: datetime) -> int:
        return len(await self.fetch("worker_prune", {"cutoff": self.enc_time(cutoff)}))

    async def worker_list(self, cutoff: datetime) -> list[dict[str, Any]]:
        return [self._decode(r, _WORKER_TIMES, ("queues", "types"))
                for r in await self.fetch("worker_list", {"cutoff": self.enc_time(cutoff)})]

    # ---- dependencies and metrics -------------------------------------------------------------
    async def job_dependencies(self, job_id: uuid.UUID) -> list[dict[str, Any]]:
        return [{**r, "id": str(r["id"])}
                for r in await self.fetch("job_dependencies", {"id": self.enc_id(job_id)})]

    async def metrics_jobs(self) -> list[dict[str, Any]]:
        return await self.fetch("metrics_jobs", {})

    async def metrics_durations(self, bounds: Sequence[float]) -> list[dict[str, Any]]:
        return await self.fetch("metrics_durations", {"bounds": self.enc_list(list(bounds))})

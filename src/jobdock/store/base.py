"""The store contract, written once over a dialect's named queries.

Each dialect subclass supplies how to run a named query and how values travel
(timestamps, JSON, ids, lists); every method here reads as a catalogue entry,
noun first (``job_claim``, ``job_set_...``, ``file_add``). Transitions are guarded
updates: a method returns ``False``/``None`` when the compare-and-set lost the race.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from abc import abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobdock.jobs.checkpoints import CheckpointRecord
from jobdock.jobs.model import ErrorType, Job, JobStatus
from jobdock.store.features import FeatureQueries
from jobdock.store.inserts import InsertQueries
from jobdock.store.migrations import MigrationSet


class StoreUnavailable(ConnectionError):
    """The database cannot be reached or opened; the message is one readable line.

    A ``ConnectionError``: for a job, an outage is transient, never the job's fault.
    """


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what caused it, nearest first (at most 20)."""
    seen = 0
    while exc is not None and seen < 20:
        yield exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1


def is_store_outage(exc: BaseException | None) -> bool:
    """Was ``exc`` (or what caused it) the database being unreachable?"""
    return any(isinstance(e, StoreUnavailable) for e in _causes(exc))


def is_store_conflict(exc: BaseException | None) -> bool:
    """Did the database roll ``exc``'s statement back whole for a conflict with another
    session (SQLSTATE class 40: a deadlock, a serialization failure)? Nothing it did
    remains; running it again is safe."""
    return any(str(getattr(e, "sqlstate", None) or "").startswith("40") for e in _causes(exc))


@dataclass(frozen=True)
class JobFilter:
    statuses: tuple[str, ...] | None = None
    job_type: str | None = None
    stage: str | None = None
    user_id: str | None = None
    text: str | None = None
    sort: str = "created"  # or "updated"
    limit: int = 50
    after: tuple[datetime, uuid.UUID] | None = None  # keyset cursor: (sort timestamp, id)


@dataclass(frozen=True)
class ControlFlags:
    id: uuid.UUID
    status: str
    worker_id: str | None
    pause_requested: bool
    cancel_requested: bool
    pause_reason: str | None


def escape_like(text: str) -> str:
    """Search text taken literally: LIKE's wildcards and the escape character escaped
    (the queries say ``ESCAPE '\\'``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# A counts read folds the deltas itself when it had to sum more rows than this.
FOLD_COUNTS_AFTER = 5_000


class Store(InsertQueries, FeatureQueries):
    dialect: str
    # list several statuses with one query per status, merged (Postgres: each is an
    # ordered index scan); SQLite's planner walks the time index either way
    list_each_status = False

    # ---- lifecycle (the dialect's) ---------------------------------------------------------
    @abstractmethod
    async def migrate(self, extra: Sequence[MigrationSet] = ()) -> list[str]:
        """Apply pending migrations (the engine's, then ``extra``); return those applied."""

    @abstractmethod
    async def close(self) -> None: ...

    # ---- reading --------------------------------------------------------------------------
    async def job_get(self, job_id: uuid.UUID, user_id: str | None = None) -> Job | None:
        return await self._one_job("job_get", {"id": self.enc_id(job_id), "user_id": user_id})

    async def job_list(self, f: JobFilter) -> list[Job]:
        if f.statuses and len(f.statuses) > 1 and self.list_each_status:
            # one ordered index scan per status, merged here: "status = ANY(...)" gets a
            # bitmap scan and a sort of every matching row instead (400 ms at 1M pending)
            pages = await asyncio.gather(*(self.job_list(dataclasses.replace(f, statuses=(s,)))
                                           for s in dict.fromkeys(f.statuses)))
            newest = [(j.updated_at if f.sort == "updated" else j.created_at, j.id, j)
                      for page in pages for j in page]
            newest.sort(key=lambda t: (t[0], t[1]), reverse=True)
            return [j for _, _, j in newest[:f.limit]]
        one = f.statuses[0] if f.statuses and len(f.statuses) == 1 else None
        name = "job_list_by_updated" if f.sort == "updated" else "job_list_by_created"
        after_ts, after_id = f.after if f.after else (None, None)
        return await self._jobs(name, {
            "statuses": None if one else self.enc_list(f.statuses), "status": one,
            "job_type": f.job_type, "stage": f.stage,
            "user_id": f.user_id, "text": f"%{escape_like(f.text)}%" if f.text else None,
            "after_ts": self.enc_time(after_ts),
            "after_id": self.enc_id(after_id) if after_id else None, "limit": f.limit,
        })

    async def job_counts(self, user_id: str | None = None) -> dict[str, int]:
        """Jobs per status (exact). All jobs: from the counters the store's triggers keep
        (migration 0005), not a scan; one user's: from that user's index entries."""
        if user_id is None:
            rows = await self.fetch("job_counts_all", {})
            if sum(int(r["parts"]) for r in rows) > FOLD_COUNTS_AFTER:
                await self.job_counts_fold()  # nobody folded lately (no maintenance loop)
        else:
            rows = await self.fetch("job_counts", {"user_id": user_id})
        counts = {s.value: 0 for s in JobStatus}
        counts.update({r["status"]: int(r["n"]) for r in rows})
        return counts

    async def job_counts_fold(self) -> None:
        """Fold the count deltas into the totals (Postgres; SQLite keeps totals directly).
        The maintenance loop calls it; reads stay exact either way, only cheaper."""

    async def job_stages(self) -> list[str]:
        return [r["stage"] for r in await self.fetch("job_stages", {})]

    async def job_outstanding(self) -> int:
        return int((await self.fetch("job_outstanding", {}))[0]["n"])

    async def job_changed_since(self, since: datetime, limit: int = 500) -> list[dict[str, Any]]:
        rows = await self.fetch("job_changed_since", {"since": self.enc_time(since),
                                                      "limit": limit})
        return [{**r, "id": str(r["id"]), "updated_at": self.dec_time(r["updated_at"])}
                for r in rows]

    # ---- the worker's verbs -----------------------------------------------------------------
    async def job_claim(self, worker_id: str, limit: int, types: Sequence[str] | None,
                        now: datetime, queues: Sequence[str] | None = None) -> list[Job]:
        """The plain claim, then (for free slots left) the gated claim of limited jobs."""
        params = self._claim_params(worker_id, limit, types, now, queues)
        jobs = await self._jobs("job_claim", params) if limit > 0 else []
        return await self._claim_limited(jobs, params)

    def _claim_params(self, worker_id: str, limit: int, types: Sequence[str] | None,
                      now: datetime, queues: Sequence[str] | None) -> dict[str, Any]:
        return {"worker_id": worker_id, "limit": limit, "types": self.enc_list(types),
                "queues": self.enc_list(queues), "now": self.enc_time(now)}

    async def _claim_limited(self, jobs: list[Job], params: dict[str, Any],
                             limited_due: bool | None = None) -> list[Job]:
        """After the plain claim took ``jobs``: the gated claim of limited jobs for the
        slots left, then the whole claim in priority order. ``limited_due``: whether a
        limited job is due, when the claim said so (None: asked here)."""
        limit = params["limit"]
        if len(jobs) < limit and (limited_due if limited_due is not None else
                                  await self.fetch("job_limited_due_exists", params)):
            params = {**params, "limit": limit - len(jobs)}
            steps = [("claim_gate", {}), ("job_claim_limited", params)]
            jobs += [self.row_to_job(r) for r in (await self.fetch_in_transaction(steps))[1]]
        jobs.sort(key=lambda j: (-j.priority, j.created_at, str(j.id)))
        return jobs

    async def job_complete_and_claim(
            self, worker_id: str, results: Sequence[tuple[uuid.UUID, Any, dict[str, Any] | None]],
            limit: int, types: Sequence[str] | None, now: datetime,
            queues: Sequence[str] | None = None) -> tuple[set[uuid.UUID], list[Job]]:
        """A worker's round trip: ``job_complete_many`` and ``job_claim`` in one
        transaction (one statement on Postgres). Returns the completions that won (the
        same guards: a cancel or pause asked before wins) and the jobs claimed."""
        if not results:
            return set(), await self.job_claim(worker_id, limit, types, now, queues)
        params = self._claim_params(worker_id, limit, types, now, queues)
        params["rows"] = self.enc_json([{"id": str(i), "output": o, "progress": p}
                                        for i, o, p in results])
        won, jobs, limited_due = await self._complete_and_claim(params)
        return won, await self._claim_limited(jobs, params, limited_due)

    async def _complete_and_claim(self, params: dict[str, Any]
                                  ) -> tuple[set[uuid.UUID], list[Job], bool | None]:
        """Completions that won, the jobs claimed, and whether a limited job is due
        (None: not known)."""
        done, claimed = await self.fetch_in_transaction([("job_complete_many", params),
                                                         ("job_claim", params)])
        return ({uuid.UUID(str(r["id"])) for r in done},
                [self.row_to_job(r) for r in claimed], None)

    async def job_sync_progress(self, worker_id: str, progress: dict[uuid.UUID, dict[str, Any]],
                                now: datetime) -> set[uuid.UUID]:
        rows = [{"id": str(i), "progress": p} for i, p in progress.items()]
        return await self._ids("job_sync_progress", {
            "rows": self.enc_json(rows), "worker_id": worker_id, "now": self.enc_time(now)})

    async def job_control_flags(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ControlFlags]:
        rows = await self.fetch("job_control_flags", {"ids": self.enc_list([str(i) for i in ids])})
        flags = {}
        for r in rows:
            job_id = uuid.UUID(str(r["id"]))
            flags[job_id] = ControlFlags(job_id, r["status"], r["worker_id"],
                                         r["pause_requested_at"] is not None,
                                         r["cancel_requested_at"] is not None, r["pause_reason"])
        return flags

    async def job_heartbeat(self, worker_id: str, ids: Iterable[uuid.UUID],
                            now: datetime) -> set[uuid.UUID]:
        return await self._ids("job_heartbeat", {
            "ids": self.enc_list([str(i) for i in ids]), "worker_id": worker_id,
            "now": self.enc_time(now)})

    async def job_record_checkpoint(self, job_id: uuid.UUID, worker_id: str,
                                    record: CheckpointRecord, progress: dict[str, Any],
                                    now: datetime) -> bool:
        return await self._changed("job_record_checkpoint", {
            "id": self.enc_id(job_id), "worker_id": worker_id, "path": record.path,
            "stage": record.stage, "hash": record.hash, "progress": self.enc_json(progress),
            "record": self.enc_json(record.to_dict()), "now": self.enc_time(now)})

    async def job_complete(self, job_id: uuid.UUID, worker_id: str, output: Any,
                           progress: dict[str, Any], now: datetime) -> bool:
        return await self._changed("job_complete", {
            "id": self.enc_id(job_id), "worker_id": worker_id, "output": self.enc_json(output),
            "progress": self.enc_json(progress), "now": self.enc_time(now)})

    async def job_complete_many(self, worker_id: str,
                                results: Sequence[tuple[uuid.UUID, Any, dict[str, Any] | None]],
                                now: datetime) -> set[uuid.UUID]:
        rows = [{"id": str(i), "output": o, "progress": p} for i, o, p in results]
        return await self._ids("job_complete_many", {
            "rows": self.enc_json(rows), "worker_id": worker_id, "now": self.enc_time(now)})

    async def job_fail(self, job_id: uuid.UUID, worker_id: str, *, error_message: str,
                       error_type: ErrorType, next_retry_at: datetime | None,
                       progress: dict[str, Any], metadata: dict[str, Any],
                       now: datetime) -> bool:
        return await self._changed("job_fail", {
            "id": self.enc_id(job_id), "worker_id": worker_id, "error_message": error_message,
            "error_type": error_type.value, "next_retry_at": self.enc_time(next_retry_at),
            "progress": self.enc_json(progress), "metadata": self.enc_json(metadata),
            "now": self.enc_time(now)})

    async def job_pause_at_safe_point(self, job_id: uuid.UUID, worker_id: str, reason: str,
                                      progress: dict[str, Any], now: datetime) -> bool:
        return await self._changed("job_pause_at_safe_point", {
            "id": self.enc_id(job_id), "worker_id": worker_id, "reason": reason,
            "progress": self.enc_json(progress), "now": self.enc_time(now)})

    async def job_release(self, job_id: uuid.UUID, worker_id: str, progress: dict[str, Any],
                          now: datetime) -> bool:
        return await self._changed("job_release", {
            "id": self.enc_id(job_id), "worker_id": worker_id,
            "progress": self.enc_json(progress), "now": self.enc_time(now)})

    async def job_release_worker(self, worker_id: str, now: datetime) -> set[uuid.UUID]:
        return await self._ids("job_release_worker", {"worker_id": worker_id,
                                                      "now": self.enc_time(now)})

    async def job_release_orphans(self, worker_id: str, keep: Iterable[uuid.UUID],
                                  now: datetime) -> set[uuid.UUID]:
        return await self._ids("job_release_orphans", {
            "worker_id": worker_id, "keep": self.enc_list([str(i) for i in keep]),
            "now": self.enc_time(now)})

    @property
    def connection_epoch(self) -> int:
        """Changes whenever the store lost its connections and made new ones (a worker
        then checks that the jobs the database gives it are the ones it runs)."""
        return 0

    async def job_mark_cancelled(self, job_id: uuid.UUID, worker_id: str, now: datetime) -> bool:
        return await self._changed("job_mark_cancelled", {
            "id": self.enc_id(job_id), "worker_id": worker_id, "now": self.enc_time(now)})

    # ---- the admin's verbs (compare-and-set; None means the job was not in that state) ----
    async def job_pause_now(self, job_id: uuid.UUID, expected: str, reason: str | None,
                            now: datetime) -> Job | None:
        return await self._one_job("job_pause_now", {
            "id": self.enc_id(job_id), "expected": expected, "reason": reason,
            "now": self.enc_time(now)})

    async def job_request_pause(self, job_id: uuid.UUID, reason: str | None,
                                now: datetime) -> Job | None:
        return await self._one_job("job_request_pause", {
            "id": self.enc_id(job_id), "reason": reason, "now": self.enc_time(now)})

    async def job_resume(self, job_id: uuid.UUID, now: datetime) -> Job | None:
        return await self._one_job("job_resume", {"id": self.enc_id(job_id),
                                                  "now": self.enc_time(now)})

    async def job_request_cancel(self, job_id: uuid.UUID, now: datetime) -> Job | None:
        return await self._one_job("job_request_cancel", {"id": self.enc_id(job_id),
                                                          "now": self.enc_time(now)})

    async def job_force_fail(self, job_id: uuid.UUID, expected: str, message: str,
                             now: datetime) -> Job | None:
        return await self._one_job("job_force_fail", {
            "id": self.enc_id(job_id), "expected": expected, "message": message,
            "now": self.enc_time(now)})

    async def job_retry_now(self, job_id: uuid.UUID, expected: str, now: datetime) -> Job | None:
        return await self._one_job("job_retry_now", {
            "id": self.enc_id(job_id), "expected": expected, "now": self.enc_time(now)})

    async def job_delete(self, job_id: uuid.UUID, expected: str) -> bool:
        return await self._changed("job_delete", {"id": self.enc_id(job_id),
                                                  "expected": expected})

    async def job_ids_by_status(self, status: str, user_id: str | None = None,
                                limit: int = 1000) -> list[uuid.UUID]:
        rows = await self.fetch("job_ids_by_status", {"status": status, "user_id": user_id,
                                                      "limit": limit})
        return [uuid.UUID(str(r["id"])) for r in rows]

    # ---- maintenance services' verbs ----------------------------------------------------
    async def job_retry_eligible(self, now: datetime) -> list[Job]:
        return await self._jobs("job_retry_eligible", {"now": self.enc_time(now)})

    async def job_retry_due(self, now: datetime, limit: int = 500) -> list[Job]:
        return await self._jobs("job_retry_due", {"now": self.enc_time(now), "limit": limit})

    async def job_rescue_stale(self, cutoff: datetime, now: datetime,
                               limit: int = 500) -> list[Job]:
        return await self._jobs("job_rescue_stale", {
            "cutoff": self.enc_time(cutoff), "now": self.enc_time(now), "limit": limit})

    # ---- files a job wrote ------------------------------------------------------------------
    async def file_add(self, job_id: uuid.UUID, key: str, final: bool) -> None:
        await self.fetch("file_add", {"job_id": self.enc_id(job_id), "key": key, "final": final})

    async def file_add_owned(self, job_id: uuid.UUID, worker_id: str, key: str,
                             final: bool) -> bool:
        """``file_add`` fenced by ownership: False (nothing recorded) when the job is no
        longer running on ``worker_id``."""
        return await self._changed("file_add_owned", {
            "job_id": self.enc_id(job_id), "worker_id": worker_id, "key": key, "final": final})

    async def file_list(self, job_id: uuid.UUID) -> list[tuple[str, bool]]:
        rows = await self.fetch("file_list", {"job_id": self.enc_id(job_id)})
        return [(r["key"], bool(r["final"])) for r in rows]

    async def file_forget(self, job_id: uuid.UUID, keys: Sequence[str]) -> None:
        await self.fetch("file_forget", {"job_id": self.enc_id(job_id),
                                         "keys": self.enc_list(list(keys))})

    async def file_forget_job(self, job_id: uuid.UUID) -> None:
        await self.fetch("file_forget_job", {"job_id": self.enc_id(job_id)})

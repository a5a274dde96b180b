"""Store methods that insert jobs: one (with its unique key and dependencies, atomic),
one unless its user has one active, and many in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jobdock.jobs.bulk import cyclic_gc_paused
from jobdock.jobs.model import Job, NewJob
from jobdock.jobs.unique import bucketed_key, encode_statuses
from jobdock.store.runner import QueryRunner


class InsertQueries(QueryRunner):
    def _new_job_params(self, new: NewJob, now: datetime) -> dict[str, Any]:
        unique_key = bucketed_key(new.unique_key, new.unique_window, now) \
            if new.unique_key else None
        return {
            "id": self.enc_id(new.id), "user_id": new.user_id, "job_type": new.job_type,
            "entity_type": new.entity_type, "entity_id": new.entity_id,
            "input_data": self.enc_json(new.input_data), "metadata": self.enc_json(new.metadata),
            "max_retries": new.max_retries, "priority": new.priority,
            "run_at": self.enc_time(new.run_at or now), "now": self.enc_time(now),
            "queue": new.queue or "default", "unique_key": unique_key,
            "unique_statuses": encode_statuses(new.unique_statuses) if unique_key else None,
            "after": self.enc_list([str(i) for i in new.after]) if new.after else None,
        }

    async def job_insert(self, new: NewJob, now: datetime) -> Job:
        job, _ = await self.job_insert_or_existing(new, now)
        return job

    async def job_insert_id(self, new: NewJob, now: datetime) -> uuid.UUID:
        """Insert ``new`` and return its id (with a unique key already held: the holder's).
        A plain job, the common case, is one lean statement with nothing read back."""
        if new.unique_key is None and not new.after:
            await self.fetch("job_insert_plain", self._new_job_params(new, now))
            return new.id
        job, _ = await self.job_insert_or_existing(new, now)
        return job.id

    async def job_insert_or_existing(self, new: NewJob, now: datetime) -> tuple[Job, bool]:
        """Insert ``new``; with a unique key already held, return that job instead.

        Returns ``(job, inserted)``. The unique index decides (atomic across processes);
        when the holder leaves its unique statuses between the conflict and the read,
        the insert is tried again.
        """
        params = self._new_job_params(new, now)
        for _ in range(20):
            if new.after:
                steps = [("job_mark_has_dependents", {"after": params["after"]}),
                         ("job_insert", params), ("job_deps_insert", params)]
                rows = (await self.fetch_in_transaction(steps))[1]
            else:
                rows = await self.fetch("job_insert", params)
            if rows:
                return self.row_to_job(rows[0]), True
            existing = await self._one_job("job_get_unique", {"unique_key": params["unique_key"]})
            if existing is not None:
                return existing, False
        raise RuntimeError(f"unique key {params['unique_key']!r} kept changing hands")

    async def job_insert_unless_active(self, new: NewJob, now: datetime) -> Job | None:
        """Insert ``new`` unless its user has a job of that type pending or running."""
        return await self._one_job("job_insert_unless_active", self._new_job_params(new, now))

    async def job_insert_many(self, news: Sequence[NewJob], now: datetime) -> list[uuid.UUID]:
        """Insert ``news`` in one transaction; their ids in order (a duplicate of a unique
        job: the holder's id). Plain jobs go in one multi-row INSERT; a job with a unique
        key or dependencies gets ``job_insert``'s statements (conflict, dependency rows)
        after them, so it may wait for plain jobs of the same list.

        Raises ValueError (nothing inserted) when a plain job's JSON holds NaN or an
        infinity: the one encoding of the batch refuses them.
        """
        if not news:
            return []
        plain = [n for n in news if n.unique_key is None and not n.after]
        with cyclic_gc_paused():
            rows = self._bulk_rows(plain)
        bulk = ("job_insert_many", {"rows": rows, "now": self.enc_time(now)})
        if len(plain) == len(news):
            await self.fetch(*bulk)
            return [n.id for n in news]
        for _ in range(20):
            steps, reads = self._steps_one_by_one(news, now)
            results = await self.fetch_in_transaction(([bulk] if plain else []) + steps)
            results = results[1:] if plain else results
            ids: list[uuid.UUID] = []
            for new in news:
                inserted, holder = reads.get(new.id, (None, None))
                if inserted is None:
                    ids.append(new.id)
                    continue
                rows = results[inserted] or (results[holder] if holder is not None else [])
                if not rows:
                    break  # the holder left its unique statuses meanwhile: try again
                ids.append(uuid.UUID(str(rows[0]["id"])))
            else:
                return ids
        raise RuntimeError("a unique key in the batch kept changing hands")

    def _steps_one_by_one(self, news: Sequence[NewJob], now: datetime) -> tuple[
            list[tuple[str, dict[str, Any]]], dict[uuid.UUID, tuple[int, int | None]]]:
        """``job_insert``'s statements for the jobs with a unique key or dependencies, and
        for each such job where its insert's result and its unique holder's will be."""
        steps: list[tuple[str, dict[str, Any]]] = []
        reads: dict[uuid.UUID, tuple[int, int | None]] = {}
        for new in news:
            if new.unique_key is None and not new.after:
                continue
            params = self._new_job_params(new, now)
            if new.after:
                steps.append(("job_mark_has_dependents", {"after": params["after"]}))
            inserted = len(steps)
            steps.append(("job_insert", params))
            if new.after:
                steps.append(("job_deps_insert", params))
            holder = None
            if params["unique_key"] is not None:
                holder = len(steps)
                steps.append(("job_get_unique", {"unique_key": params["unique_key"]}))
            reads[new.id] = (inserted, holder)
        return steps, reads

    def _bulk_rows(self, news: Sequence[NewJob]) -> Any:
        """The rows of ``job_insert_many`` as one JSON text, NaN and infinities refused.
        A row carries only what is set (the statement fills in the defaults)."""
        rows = []
        for new in news:
            # the fields as they are (``dataclasses.asdict`` deep-copied every input)
            row = {"id": str(new.id), "job_type": new.job_type, "input_data": new.input_data,
                   "max_retries": new.max_retries}
            if new.user_id is not None:
                row["user_id"] = new.user_id
            if new.entity_type is not None:
                row["entity_type"] = new.entity_type
            if new.entity_id is not None:
                row["entity_id"] = new.entity_id
            if new.metadata:
                row["metadata"] = new.metadata
            if new.priority:
                row["priority"] = new.priority
            if new.run_at is not None:
                row["run_at"] = self.json_time(new.run_at)
            if new.queue and new.queue != "default":
                row["queue"] = new.queue
            rows.append(row)
        return json.dumps(rows, allow_nan=False, separators=(",", ":"),
                          default=self.json_default)

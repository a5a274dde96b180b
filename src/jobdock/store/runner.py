"""What every group of store methods stands on: a dialect's way to run named queries
and to encode values, and the decoding of a job row. ``Store`` and its query mixins
(``InsertQueries``, ``FeatureQueries``) all extend it, so each mixin reads as a list of
queries and nothing is declared twice."""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from jobdock.jobs.model import JOB_FIELDS, ErrorType, Job, JobStatus

_JSON_FIELDS = ("progress", "input_data", "output_data", "metadata")
_TIME_FIELDS = tuple(f for f in JOB_FIELDS if f.endswith("_at"))


class QueryRunner(ABC):
    # how JSON text the store encodes itself treats values JSON has no type for (as the
    # dialect's ``enc_json`` does: SQLite writes them as strings, Postgres refuses them)
    json_default: Callable[[Any], Any] | None = None
    # the driver hands back JSON and times decoded (dec_json / dec_time are the identity):
    # a job row is then decoded without calling them per column (a hot path: every claim)
    driver_decodes = False

    # ---- dialect hooks ------------------------------------------------------------------
    @abstractmethod
    async def fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a named query and return its rows as dicts (committed)."""

    @abstractmethod
    async def fetch_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Run several named queries in one transaction (all or nothing)."""

    @abstractmethod
    async def execute(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run one statement of an extension's own named queries (committed)."""

    @abstractmethod
    async def execute_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Run several statements (sql, params) in one transaction (all or nothing)."""

    @abstractmethod
    def enc_time(self, value: datetime | None) -> Any: ...

    @abstractmethod
    def dec_time(self, value: Any) -> datetime | None: ...

    @abstractmethod
    def enc_json(self, value: Any) -> Any: ...

    @abstractmethod
    def dec_json(self, value: Any) -> Any: ...

    @abstractmethod
    def enc_list(self, values: Sequence[Any] | None) -> Any: ...

    def enc_id(self, value: uuid.UUID | str) -> Any:
        return str(value)

    def json_time(self, value: datetime) -> str:
        """A time inside JSON the store encodes itself (ISO 8601 with its offset)."""
        return value.isoformat()

    # ---- decoding -------------------------------------------------------------------------
    def row_to_job(self, row: dict[str, Any]) -> Job:
        values = {name: row[name] for name in JOB_FIELDS}
        job_id = values["id"]
        values["id"] = job_id if type(job_id) is uuid.UUID else uuid.UUID(str(job_id))
        if not self.driver_decodes:
            for name in _JSON_FIELDS:
                values[name] = self.dec_json(row[name])
            for name in _TIME_FIELDS:
                values[name] = self.dec_time(row[name])
        values["status"] = JobStatus(row["status"])
        values["error_type"] = ErrorType(row["error_type"]) if row["error_type"] else None
        values["limited"] = bool(values["limited"])
        values["has_dependents"] = bool(values["has_dependents"])
        values["progress"] = values["progress"] or {}
        values["input_data"] = values["input_data"] or {}
        values["metadata"] = values["metadata"] or {}
        return Job(**values)

    async def _jobs(self, name: str, params: dict[str, Any]) -> list[Job]:
        return [self.row_to_job(r) for r in await self.fetch(name, params)]

    async def _one_job(self, name: str, params: dict[str, Any]) -> Job | None:
        rows = await self._jobs(name, params)
        return rows[0] if rows else None

    async def _ids(self, name: str, params: dict[str, Any]) -> set[uuid.UUID]:
        return {uuid.UUID(str(r["id"])) for r in await self.fetch(name, params)}

    async def _changed(self, name: str, params: dict[str, Any]) -> bool:
        return bool(await self.fetch(name, params))

"""Submit jobs from any Python program: ``Client`` (blocking) and ``AsyncClient``."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar

from jobdock.app import Dock
from jobdock.jobs.model import Job, NewJob
from jobdock.settings import Settings

T = TypeVar("T")


class AsyncClient:
    def __init__(self, dock: Dock) -> None:
        self.dock = dock

    @classmethod
    async def connect(cls, database_url: str | None = None, storage_url: str | None = None,
                      imports: Sequence[str] = ()) -> AsyncClient:
        settings = Settings(database_url=database_url, storage_url=storage_url,
                            imports=list(imports))
        return cls(await Dock.open(settings))

    async def submit(self, job_type: str, input_data: dict[str, Any] | None = None, *,
                     user_id: str | None = None, entity_type: str | None = None,
                     entity_id: str | None = None, priority: int = 0,
                     max_retries: int | None = None, run_at: datetime | None = None) -> uuid.UUID:
        job = await self.dock.admin.submit(self.new_job(
            job_type, input_data, user_id=user_id, entity_type=entity_type, entity_id=entity_id,
            priority=priority, max_retries=max_retries, run_at=run_at))
        return job.id

    async def submit_many(self, jobs: Sequence[NewJob]) -> list[uuid.UUID]:
        return await self.dock.admin.submit_many(jobs)

    async def get(self, job_id: uuid.UUID | str) -> Job:
        return await self.dock.admin.get_job(job_id)

    def new_job(self, job_type: str, input_data: dict[str, Any] | None = None, *,
                max_retries: int | None = None, **fields: Any) -> NewJob:
        """A NewJob with the job type's retry default, for ``submit_many``."""
        if max_retries is None:
            registry = self.dock.registry
            max_retries = (registry.get(job_type).retry.max_retries
                           if job_type in registry else 3)
        return NewJob(job_type, input_data or {}, max_retries=max_retries, **fields)

    async def close(self) -> None:
        await self.dock.close()


class Client:
    """Blocking client: runs an event loop in a background thread."""

    def __init__(self, database_url: str | None = None, storage_url: str | None = None,
                 imports: Sequence[str] = ()) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="jobdock-client")
        self._thread.start()
        self._async = self._run(AsyncClient.connect(database_url, storage_url, imports))

    @classmethod
    def from_url(cls, database_url: str | None = None, storage_url: str | None = None) -> Client:
        return cls(database_url, storage_url)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def submit(self, job_type: str, input_data: dict[str, Any] | None = None,
               **fields: Any) -> uuid.UUID:
        return self._run(self._async.submit(job_type, input_data, **fields))

    def submit_many(self, jobs: Sequence[NewJob]) -> list[uuid.UUID]:
        return self._run(self._async.submit_many(jobs))

    def new_job(self, job_type: str, input_data: dict[str, Any] | None = None,
                **fields: Any) -> NewJob:
        return self._async.new_job(job_type, input_data, **fields)

    def get(self, job_id: uuid.UUID | str) -> Job:
        return self._run(self._async.get(job_id))

    def close(self) -> None:
        self._run(self._async.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

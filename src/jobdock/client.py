"""jobdock from any Python program: ``AsyncClient`` and the blocking ``Client``.

Both do what the CLI and the web UI do (every change goes through the admin service):
submit, get, list with filters, pause, resume, retry, fail, cancel, clear, and wait for
or stream a job's progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from jobdock.admin import JobFilter
from jobdock.admin.paging import decode_cursor, iter_jobs, job_page
from jobdock.app import Dock
from jobdock.jobs.describe import is_retrying
from jobdock.jobs.model import Job, JobStatus, NewJob
from jobdock.settings import Settings

T = TypeVar("T")
JobId = uuid.UUID | str


def settled(job: Job) -> bool:
    """Finished for good: completed, cancelled, or failed with no retry to come."""
    return job.is_terminal and not is_retrying(job)


def job_filter(status: str | Sequence[str] | None = None, job_type: str | None = None,
               stage: str | None = None, user_id: str | None = None,
               search: str | None = None, limit: int = 50,
               after: str | None = None) -> JobFilter:
    statuses = (status,) if isinstance(status, str) else tuple(status or ()) or None
    for value in statuses or ():
        JobStatus(value)  # ValueError names an unknown status
    return JobFilter(statuses=statuses, job_type=job_type, stage=stage, user_id=user_id,
                     text=search, limit=limit, after=decode_cursor(after) if after else None)


async def _next(source: AsyncIterator[Job]) -> Job:
    return await anext(source)


class AsyncClient:
    def __init__(self, dock: Dock) -> None:
        self.dock = dock

    @classmethod
    async def connect(cls, database_url: str | None = None, storage_url: str | None = None,
                      imports: Sequence[str] = ()) -> AsyncClient:
        # Only what was given: the rest comes from JOBDOCK_* like on the command line.
        given: dict[str, Any] = {"database_url": database_url, "storage_url": storage_url,
                                 "imports": list(imports)}
        settings = Settings(**{k: v for k, v in given.items() if v})
        return cls(await Dock.open(settings))

    # ---- submitting ----------------------------------------------------------------------
    async def submit(self, job_type: str, input_data: dict[str, Any] | None = None, *,
                     user_id: str | None = None, entity_type: str | None = None,
                     entity_id: str | None = None, priority: int = 0,
                     max_retries: int | None = None, run_at: datetime | None = None,
                     **features: Any) -> uuid.UUID:
        """Submit one job. ``features``: ``queue``, ``unique_key``, ``unique_window``,
        ``unique_statuses``, ``after`` (ids); a duplicate returns the existing job's id."""
        return await self.dock.admin.submit_id(self.new_job(
            job_type, input_data, user_id=user_id, entity_type=entity_type, entity_id=entity_id,
            priority=priority, max_retries=max_retries, run_at=run_at, **features))

    async def submit_many(self, jobs: Sequence[NewJob]) -> list[uuid.UUID]:
        return await self.dock.admin.submit_many(jobs)

    def new_job(self, job_type: str, input_data: dict[str, Any] | None = None, *,
                max_retries: int | None = None, **fields: Any) -> NewJob:
        """A NewJob with the job type's retry default, for ``submit_many``."""
        if max_retries is None:
            registry = self.dock.registry
            max_retries = (registry.get(job_type).retry.max_retries
                           if job_type in registry else 3)
        return NewJob(job_type, input_data or {}, max_retries=max_retries, **fields)

    # ---- reading -------------------------------------------------------------------------
    async def get(self, job_id: JobId) -> Job:
        return await self.dock.admin.get_job(job_id)

    async def list_jobs(self, status: str | Sequence[str] | None = None, *,
                   job_type: str | None = None, stage: str | None = None,
                   user_id: str | None = None, search: str | None = None,
                   limit: int = 50, after: str | None = None) -> list[Job]:
        """One page, newest first; ``list_page`` also returns the next page's cursor."""
        jobs, _ = await self.list_page(status, job_type=job_type, stage=stage,
                                       user_id=user_id, search=search, limit=limit, after=after)
        return jobs

    async def list_page(self, status: str | Sequence[str] | None = None,
                        **filters: Any) -> tuple[list[Job], str | None]:
        return await job_page(self.dock.admin, job_filter(status, **filters))

    async def iter_jobs(self, status: str | Sequence[str] | None = None,
                        **filters: Any) -> AsyncGenerator[Job]:
        """Every matching job, newest first, fetched page by page."""
        async for job in iter_jobs(self.dock.admin, job_filter(status, **filters)):
            yield job

    async def counts(self) -> dict[str, int]:
        return await self.dock.admin.counts()

    # ---- steering ------------------------------------------------------------------------
    async def pause(self, job_id: JobId, reason: str | None = None) -> Job:
        """A pending job pauses now, a running one at its next safe point."""
        return await self.dock.admin.pause_job(job_id, reason)

    async def resume(self, job_id: JobId) -> Job:
        return await self.dock.admin.resume_job(job_id)

    async def retry(self, job_id: JobId) -> Job:
        return await self.dock.admin.retry_job(job_id)

    async def fail(self, job_id: JobId) -> Job:
        return await self.dock.admin.force_fail_job(job_id)

    async def cancel(self, job_id: JobId) -> dict[str, Any]:
        """Cancel and delete (with its files); ``deleted`` is False while it stops."""
        return await self.dock.admin.cancel_and_delete_job(job_id)

    async def clear(self, *, completed: bool = False, failed: bool = False,
                    user_id: str | None = None) -> dict[str, int]:
        """Delete completed and/or failed jobs; how many of each."""
        cleared = {}
        if completed:
            cleared["completed"] = await self.dock.admin.clear_completed_jobs(user_id)
        if failed:
            cleared["failed"] = await self.dock.admin.clear_failed_jobs(user_id)
        return cleared

    # ---- following -----------------------------------------------------------------------
    async def stream(self, job_id: JobId, interval: float = 0.5,
                     timeout: float | None = None) -> AsyncGenerator[Job]:
        """The job each time it changes, until it is settled (the last one yielded);
        ``TimeoutError`` once ``timeout`` seconds have passed without that."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        await self.dock.start_feed()
        seen: tuple[Any, ...] | None = None
        async with self.dock.bus.subscribe() as events:
            while True:
                job = await self.get(job_id)
                state = (job.status, job.updated_at, job.progress.get("percent"),
                         job.progress.get("details"))
                if state != seen:
                    seen = state
                    yield job
                if settled(job):
                    return
                # The deadline is checked here rather than by cancelling from outside: a
                # cancel landing inside a database call can be swallowed on Python 3.11
                # (a 0.3 s wait once hung for minutes).
                wait = interval
                if deadline is not None:
                    wait = min(interval, deadline - loop.time())
                    if wait <= 0:
                        raise TimeoutError(f"job {job_id} not settled after {timeout} s")
                with contextlib.suppress(TimeoutError):  # a change wakes us; else re-read
                    await asyncio.wait_for(events.get(), wait)

    async def wait(self, job_id: JobId, timeout: float | None = None) -> Job:
        """The job once it is settled; ``TimeoutError`` after ``timeout`` seconds."""
        latest = None
        async with contextlib.aclosing(self.stream(job_id, timeout=timeout)) as jobs:
            async for job in jobs:
                latest = job
        assert latest is not None
        return latest

    async def close(self) -> None:
        await self.dock.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Client:
    """Blocking client: runs an :class:`AsyncClient` on an event loop in a thread."""

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

    def get(self, job_id: JobId) -> Job:
        return self._run(self._async.get(job_id))

    def list_jobs(self, status: str | Sequence[str] | None = None,
                  **filters: Any) -> list[Job]:
        return self._run(self._async.list_jobs(status, **filters))

    def list_page(self, status: str | Sequence[str] | None = None,
                  **filters: Any) -> tuple[list[Job], str | None]:
        return self._run(self._async.list_page(status, **filters))

    def iter_jobs(self, status: str | Sequence[str] | None = None,
                  **filters: Any) -> Iterator[Job]:
        return self._iterate(self._async.iter_jobs(status, **filters))

    def counts(self) -> dict[str, int]:
        return self._run(self._async.counts())

    def pause(self, job_id: JobId, reason: str | None = None) -> Job:
        return self._run(self._async.pause(job_id, reason))

    def resume(self, job_id: JobId) -> Job:
        return self._run(self._async.resume(job_id))

    def retry(self, job_id: JobId) -> Job:
        return self._run(self._async.retry(job_id))

    def fail(self, job_id: JobId) -> Job:
        return self._run(self._async.fail(job_id))

    def cancel(self, job_id: JobId) -> dict[str, Any]:
        return self._run(self._async.cancel(job_id))

    def clear(self, *, completed: bool = False, failed: bool = False,
              user_id: str | None = None) -> dict[str, int]:
        return self._run(self._async.clear(completed=completed, failed=failed,
                                           user_id=user_id))

    def stream(self, job_id: JobId, interval: float = 0.5) -> Iterator[Job]:
        """The job each time it changes, until it is settled."""
        return self._iterate(self._async.stream(job_id, interval))

    def wait(self, job_id: JobId, timeout: float | None = None) -> Job:
        return self._run(self._async.wait(job_id, timeout))

    def _iterate(self, source: AsyncIterator[Job]) -> Iterator[Job]:
        """Step an async iterator on the client's loop, one item per ``next``."""
        try:
            while True:
                try:
                    yield self._run(_next(source))
                except StopAsyncIteration:
                    return
        finally:
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                self._run(aclose())

    def close(self) -> None:
        self._run(self._async.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Admin service: submit, pause, resume, cancel & delete, force fail, retry, clear.

Every action reads the job, checks the transition table, then performs a
compare-and-set; a job that changed in between is reported, never overwritten.
Every action can be scoped to a ``user_id``: a job of another user is "not found".
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from jobdock.admin.engine import EngineAdmin
from jobdock.admin.errors import InvalidRequest, JobKeptChanging, JobNotFound
from jobdock.jobfiles import delete_files_of_deleted_job
from jobdock.jobs.bulk import cyclic_gc_paused
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.jobs.inputs import InputInvalid, validate_input
from jobdock.jobs.jsonsafe import non_finite_number
from jobdock.jobs.model import ACTIVE_STATUSES, Job, JobStatus, NewJob
from jobdock.jobs.registry import Registry
from jobdock.jobs.states import check_action
from jobdock.jobs.unique import BadUnique, encode_statuses
from jobdock.storage import Storage
from jobdock.store import JobFilter, Store

FORCE_FAIL_MESSAGE = "Failed by an administrator."
MAX_PAGE = 500
RACE_ATTEMPTS = 5  # re-decisions when a job changes status under an admin action


# The admin method behind each verb of the action table (``jobs.states.ACTIONS``).
TRANSITION_METHODS = {"pause": "pause_job", "resume": "resume_job", "fail": "force_fail_job",
                      "retry": "retry_job"}
DELETE_METHOD = {"cancel": "cancel_and_delete_job"}


class AdminService(EngineAdmin):
    def __init__(self, store: Store, storage: Storage, registry: Registry,
                 clock: Clock | None = None) -> None:
        self.store = store
        self.storage = storage
        self.registry = registry
        self.clock = clock or SystemClock()

    # ---- submitting --------------------------------------------------------------------
    def validate(self, new: NewJob) -> NewJob:
        self._check_finite(new)
        return self._validate_but_finite(new)

    @staticmethod
    def _check_finite(new: NewJob) -> None:
        for field in ("input_data", "metadata"):
            where = non_finite_number(getattr(new, field))
            if where is not None:
                raise InvalidRequest(f"{field}{where} is not a finite number (NaN and "
                                     "infinities cannot be stored as JSON)")

    def _validate_but_finite(self, new: NewJob) -> NewJob:
        """Every check of :meth:`validate` but the walk for NaN and infinities (a bulk
        insert's JSON encoding refuses them instead, in one pass; see submit_many)."""
        if new.job_type not in self.registry:
            known = ", ".join(self.registry.names())
            raise InvalidRequest(f"unknown job type {new.job_type!r} (known: {known})")
        if not isinstance(new.input_data, dict):
            raise InvalidRequest("input must be a JSON object")
        if new.max_retries < 0 or new.max_retries > 100:
            raise InvalidRequest("max_retries must be between 0 and 100")
        model = self.registry.get(new.job_type).input_model
        if model is not None:
            try:
                new = dataclasses.replace(new, input_data=validate_input(model, new.input_data))
            except InputInvalid as exc:
                raise InvalidRequest(f"invalid input for {new.job_type}: {exc}") from None
        return self._with_type_defaults(new)

    def _with_type_defaults(self, new: NewJob) -> NewJob:
        """The type's queue, and its unique key when it declares one (a submit's own wins)."""
        declared = self.registry.get(new.job_type)
        changes: dict[str, Any] = {}
        if new.queue is None:
            changes["queue"] = declared.queue
        if new.unique_key is None and declared.unique is not None:
            changes["unique_key"] = declared.unique.key_for(new.job_type, new.user_id,
                                                            new.input_data)
            changes["unique_window"] = declared.unique.window
            changes["unique_statuses"] = declared.unique.statuses
        statuses = changes.get("unique_statuses", new.unique_statuses)
        try:
            if statuses is not None or changes.get("unique_key", new.unique_key):
                encode_statuses(statuses)
            if new.unique_window is not None and new.unique_window <= 0:
                raise BadUnique("a unique window must be positive")
        except BadUnique as exc:
            raise InvalidRequest(str(exc)) from None
        return _replaced(new, changes) if changes else new

    async def submit(self, new: NewJob) -> Job:
        """Submit a job; a duplicate of a unique one returns the job that holds the key."""
        return (await self.submit_unique(new))[0]

    async def submit_unique(self, new: NewJob) -> tuple[Job, bool]:
        """Submit; returns ``(job, inserted)`` (False: an existing job holds the unique key)."""
        new = await self._checked(new)
        return await self.store.job_insert_or_existing(new, self.clock.now())

    async def submit_id(self, new: NewJob) -> uuid.UUID:
        """Submit and return only the id (a duplicate: the holder's): what a client needs,
        without reading the new row back."""
        new = await self._checked(new)
        return await self.store.job_insert_id(new, self.clock.now())

    async def _checked(self, new: NewJob) -> NewJob:
        new = self.validate(new)
        if new.after:
            missing = [str(i) for i in new.after if await self.store.job_get(i) is None]
            if missing:
                raise InvalidRequest(f"no job with id {missing[0]} to wait for")
        return new

    async def dependencies(self, job_id: uuid.UUID | str) -> list[dict[str, Any]]:
        return await self.store.job_dependencies(parse_job_id(job_id))

    async def submit_unless_active(self, new: NewJob) -> Job | None:
        """Submit ``new`` unless the user already has a job of its type pending or running."""
        return await self.store.job_insert_unless_active(self.validate(new), self.clock.now())

    async def submit_many(self, news: Sequence[NewJob]) -> list[uuid.UUID]:
        """Submit many jobs in one transaction; returns their ids in order.

        Plain jobs go in one multi-row INSERT. A job with a unique key (its own or its
        type's) is inserted as ``submit`` does: a duplicate inserts nothing and its place
        in the result holds the id of the job that holds the key. A job with ``after`` may
        wait for existing jobs and for jobs earlier in the same list (a later one is
        refused: it does not exist yet when this one is inserted).
        """
        with cyclic_gc_paused():
            checked = [self._validate_but_finite(n) for n in news]
        earlier: dict[uuid.UUID, bool] = {}  # id -> has a unique key
        for new in checked:
            if new.unique_key is not None or new.after:
                self._check_finite(new)  # inserted with their own statements
            for parent in new.after:
                if earlier.get(parent):
                    raise InvalidRequest(
                        f"job {parent} has a unique key: a job in the same list cannot wait "
                        "for it (it may be a duplicate, never inserted); submit it first")
                if parent not in earlier and await self.store.job_get(parent) is None:
                    raise InvalidRequest(f"no job with id {parent} to wait for (a job may "
                                         "wait for jobs earlier in the list, not later)")
            earlier[new.id] = new.unique_key is not None
        try:
            return await self.store.job_insert_many(checked, self.clock.now())
        except ValueError:
            for new in checked:  # the bulk encoding refused NaN or an infinity: say where
                self._check_finite(new)
            raise

    # ---- reading -------------------------------------------------------------------------
    async def get_job(self, job_id: uuid.UUID | str, user_id: str | None = None) -> Job:
        parsed = parse_job_id(job_id)
        job = await self.store.job_get(parsed, user_id)
        if job is None:
            raise JobNotFound(job_id)
        return job

    async def list_jobs(self, f: JobFilter) -> list[Job]:
        if not 1 <= f.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        return await self.store.job_list(f)

    async def counts(self, user_id: str | None = None) -> dict[str, int]:
        return await self.store.job_counts(user_id)

    async def active_jobs(self, user_id: str | None = None, limit: int = 50) -> list[Job]:
        statuses = tuple(s.value for s in ACTIVE_STATUSES)
        return await self.store.job_list(JobFilter(statuses=statuses, user_id=user_id,
                                                   limit=limit, sort="created"))

    async def stages(self) -> list[str]:
        return await self.store.job_stages()

    # ---- pause / resume -----------------------------------------------------------------------
    async def pause_job(self, job_id: uuid.UUID | str, reason: str | None = None,
                        user_id: str | None = None) -> Job:
        """A pending job pauses at once; a running one at its next safe point."""
        reason = reason or "Paused by user"

        async def attempt(job: Job, now: datetime) -> Job | None:
            check_action(job.id, job.status, "pause")
            if job.status is JobStatus.PROCESSING:
                return await self.store.job_request_pause(job.id, reason, now)
            return await self.store.job_pause_now(job.id, job.status, reason, now)

        return await self._settle(job_id, user_id, "pause", attempt)

    async def resume_job(self, job_id: uuid.UUID | str, user_id: str | None = None) -> Job:
        async def attempt(job: Job, now: datetime) -> Job | None:
            check_action(job.id, job.status, "resume")
            return await self.store.job_resume(job.id, now)

        return await self._settle(job_id, user_id, "resume", attempt)

    # ---- failing and retrying -------------------------------------------------------------------
    async def force_fail_job(self, job_id: uuid.UUID | str, user_id: str | None = None,
                             message: str = FORCE_FAIL_MESSAGE) -> Job:
        """Any non-terminal job to ``failed`` for good; a running one loses its claim."""
        async def attempt(job: Job, now: datetime) -> Job | None:
            check_action(job.id, job.status, "fail")
            return await self.store.job_force_fail(job.id, job.status, message, now)

        return await self._settle(job_id, user_id, "fail", attempt)

    async def retry_job(self, job_id: uuid.UUID | str, user_id: str | None = None) -> Job:
        """A failed or cancelled job back to pending now; it resumes from its checkpoint."""
        async def attempt(job: Job, now: datetime) -> Job | None:
            check_action(job.id, job.status, "retry")
            return await self.store.job_retry_now(job.id, job.status, now)

        return await self._settle(job_id, user_id, "retry", attempt)

    # ---- by verb (the action table) -------------------------------------------------------------
    async def apply(self, verb: str, job_id: uuid.UUID | str, *, user_id: str | None = None,
                    reason: str | None = None) -> Job:
        """Run one of the action table's status-changing actions by its verb (pause,
        resume, fail, retry); ``cancel`` deletes, see :meth:`cancel_and_delete_job`."""
        method = TRANSITION_METHODS.get(verb)
        if method is None:
            raise InvalidRequest(f"unknown action {verb!r}")
        if verb == "pause":
            return await self.pause_job(job_id, reason, user_id)
        job: Job = await getattr(self, method)(job_id, user_id)
        return job

    # ---- deleting -------------------------------------------------------------------------------
    async def cancel_and_delete_job(self, job_id: uuid.UUID | str,
                                    user_id: str | None = None) -> dict[str, Any]:
        """Delete a job and what it stored; a running one stops at its next safe point first.

        Returns ``{"id", "deleted": bool, "files_deleted": int}``; ``deleted`` is False when
        a running job was asked to stop (its worker deletes it).
        """
        for _ in range(RACE_ATTEMPTS):
            job = await self.get_job(job_id, user_id)
            if job.status is JobStatus.PROCESSING:
                if await self.store.job_request_cancel(job.id, self.clock.now()) is not None:
                    return {"id": str(job.id), "deleted": False, "files_deleted": 0}
                continue  # it just finished or stopped
            files = await self._delete(job)
            if files is not None:
                return {"id": str(job.id), "deleted": True, "files_deleted": files}
        raise JobKeptChanging(job.id, job.status, "delete")

    async def _delete(self, job: Job) -> int | None:
        """Delete a job that is not running; None if it changed status meanwhile."""
        doomed = await delete_files_of_deleted_job(
            self.store, self.storage, job.id, completed=job.status is JobStatus.COMPLETED)
        deleted = await self.store.job_delete(job.id, job.status)
        if not deleted and await self.store.job_get(job.id) is not None:
            return None
        await self.store.file_forget_job(job.id)
        return len(doomed)

    async def clear_completed_jobs(self, user_id: str | None = None) -> int:
        return await self._clear(JobStatus.COMPLETED, user_id)

    async def clear_failed_jobs(self, user_id: str | None = None) -> int:
        return await self._clear(JobStatus.FAILED, user_id)

    async def _clear(self, status: JobStatus, user_id: str | None) -> int:
        cleared = 0
        while ids := await self.store.job_ids_by_status(status, user_id, limit=500):
            for job_id in ids:
                job = await self.store.job_get(job_id)
                if job is not None and job.status is status and \
                        await self._delete(job) is not None:
                    cleared += 1
        return cleared

    # ---- helpers ------------------------------------------------------------------------------
    async def _settle(self, job_id: uuid.UUID | str, user_id: str | None, verb: str,
                      attempt: Callable[[Job, datetime], Awaitable[Job | None]]) -> Job:
        """Read the job and try its compare-and-set; when the job changed in between (a
        pending job was just claimed, say), decide again from its new status."""
        for _ in range(RACE_ATTEMPTS):
            job = await self.get_job(job_id, user_id)
            changed = await attempt(job, self.clock.now())
            if changed is not None:
                return changed
        raise JobKeptChanging(job.id, job.status, verb)


def _replaced(new: NewJob, changes: dict[str, Any]) -> NewJob:
    """``dataclasses.replace`` without re-running ``__init__`` (a copy of the fields; 1 µs
    instead of 9 for each job of a bulk submit)."""
    copy = object.__new__(NewJob)
    copy.__dict__.update(new.__dict__)
    copy.__dict__.update(changes)
    return copy


def parse_job_id(job_id: uuid.UUID | str) -> uuid.UUID:
    if isinstance(job_id, uuid.UUID):
        return job_id
    try:
        return uuid.UUID(str(job_id).strip())
    except ValueError:
        raise JobNotFound(job_id) from None

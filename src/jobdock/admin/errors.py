"""Errors the admin service raises; each message is one line a person can act on."""

from __future__ import annotations

import uuid

from jobdock.jobs.states import IllegalTransition

__all__ = ["AdminError", "IllegalTransition", "InvalidRequest", "JobKeptChanging", "JobNotFound",
           "ScheduleNotFound"]


class AdminError(Exception):
    """Base class of admin refusals."""


class JobNotFound(AdminError, LookupError):
    def __init__(self, job_id: uuid.UUID | str) -> None:
        self.job_id = job_id
        super().__init__(f"no job with id {job_id}")


class ScheduleNotFound(AdminError, LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no schedule named {name!r}")


class InvalidRequest(AdminError, ValueError):
    """Bad input: an unknown job type, malformed JSON, an out-of-range value."""


class JobKeptChanging(IllegalTransition):
    """The job changed status under every attempt (e.g. claimed, released, claimed)."""

    def __init__(self, job_id: uuid.UUID | str, status: str, verb: str) -> None:
        Exception.__init__(self, f"cannot {verb} job {job_id}: it kept changing "
                                 f"(now {status}); try again")
        self.job_id, self.status, self.verb = job_id, status, verb

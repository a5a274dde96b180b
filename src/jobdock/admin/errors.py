"""Errors the admin service raises; each message is one line a person can act on."""

from __future__ import annotations

import uuid

from jobdock.jobs.states import IllegalTransition

__all__ = ["AdminError", "IllegalTransition", "InvalidRequest", "JobNotFound"]


class AdminError(Exception):
    """Base class of admin refusals."""


class JobNotFound(AdminError, LookupError):
    def __init__(self, job_id: uuid.UUID | str) -> None:
        self.job_id = job_id
        super().__init__(f"no job with id {job_id}")


class InvalidRequest(AdminError, ValueError):
    """Bad input: an unknown job type, malformed JSON, an out-of-range value."""

"""Unique jobs: a key, a time window and the statuses in which the key blocks a duplicate.

The store enforces it with a partial unique index over ``unique_key`` among the rows whose
status is in their own ``unique_statuses``; an insert that conflicts inserts nothing and
the submit returns the existing job. A window is folded into the key as its bucket number
(``key|bucket`` with ``bucket = floor(epoch seconds / window)``), so "once per hour" means
once per clock hour, not within 3600 s of the last one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jobdock.jobs.model import JobStatus

# Without statuses a key blocks duplicates while a job is waiting, running, paused,
# completed or failed; a cancelled job frees its key.
DEFAULT_STATUSES: tuple[str, ...] = ("pending", "processing", "paused", "completed", "failed")


class BadUnique(ValueError):
    pass


@dataclass(frozen=True)
class Unique:
    """Declared on a job type: the key is built from the user and these input fields."""

    by: tuple[str, ...] = ()
    window: float | None = None
    statuses: tuple[str, ...] | None = None

    def key_for(self, job_type: str, user_id: str | None, input_data: dict[str, Any]) -> str:
        picked = {name: input_data.get(name) for name in self.by}
        return f"{job_type}:{user_id or ''}:{json.dumps(picked, sort_keys=True, default=str)}"


def encode_statuses(statuses: Sequence[str] | None) -> str:
    chosen = tuple(statuses) if statuses else DEFAULT_STATUSES
    known = {s.value for s in JobStatus}
    bad = [s for s in chosen if s not in known]
    if bad:
        raise BadUnique(f"unknown status {bad[0]!r} in unique statuses")
    if JobStatus.PENDING.value not in chosen:
        raise BadUnique("unique statuses must include 'pending' (a new job is pending)")
    return "," + ",".join(chosen) + ","


def bucketed_key(key: str, window: float | None, now: datetime) -> str:
    if window is None:
        return key
    if window <= 0:
        raise BadUnique("a unique window must be positive")
    return f"{key}|{int(now.timestamp() // window)}"

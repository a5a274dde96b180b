"""Presentation helpers: what a person reads about a job (titles, ages, stage timeline)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jobdock.jobs.describe import job_title as job_title  # the templates' job_title
from jobdock.jobs.model import Job, JobStatus
from jobdock.jobs.registry import Registry
from jobdock.jobs.states import ACTIONS

FRESH_SECONDS = 10.0
IN_FLIGHT = (JobStatus.PENDING.value, JobStatus.PROCESSING.value, JobStatus.PAUSED.value)
STATUSES = tuple(s.value for s in JobStatus)


def type_label(registry: Registry, job_type: str) -> str:
    return registry.get(job_type).label if job_type in registry else job_type


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def last_sign_of_life(job: Job) -> datetime | None:
    """The newest of the heartbeat and the progress timestamp."""
    times = [t for t in (job.heartbeat_at, parse_time(job.progress.get("updated_at"))) if t]
    return max(times) if times else None


def is_fresh(job: Job, now: datetime | None = None) -> bool:
    """Green dot: the job is running and proved alive less than 10 s ago."""
    seen = last_sign_of_life(job)
    if job.status is not JobStatus.PROCESSING or seen is None:
        return False
    return ((now or datetime.now(UTC)) - seen).total_seconds() < FRESH_SECONDS


def percent(job: Job) -> float:
    if job.status is JobStatus.COMPLETED:
        return 100.0
    value = job.progress.get("percent")
    return float(value) if isinstance(value, int | float) else 0.0


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """'12 s ago', '3 min ago', '2 h ago', '4 d ago'; '' for None."""
    if value is None:
        return ""
    seconds = ((now or datetime.now(UTC)) - value).total_seconds()
    suffix = "ago" if seconds >= 0 else "from now"
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} {suffix}"
    return f"{int(seconds)} s {suffix}"


def clock(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class StageRow:
    name: str
    state: str  # done, current, todo
    checkpoint: dict[str, Any] | None


def stage_names(job: Job, registry: Registry) -> list[str]:
    """The job's stages: the type's, fitted to this run's count, plus any it recorded."""
    names = [s.name for s in registry.get(job.job_type).stages] if job.job_type in registry \
        else []
    count = job.progress.get("stage_count")
    if isinstance(count, int) and 0 < count < len(names):
        names = names[:count]
    recorded = [*job.metadata.get("checkpoints", {}), job.progress.get("stage")]
    for name in recorded:
        if isinstance(name, str) and name and name not in names:
            names.append(name)
    return names


def stage_timeline(job: Job, registry: Registry) -> list[StageRow]:
    checkpoints = job.metadata.get("checkpoints") or {}
    names = stage_names(job, registry)
    current = job.progress.get("stage")
    current_index = names.index(current) if current in names else -1
    rows = []
    for index, name in enumerate(names):
        cp = checkpoints.get(name) if isinstance(checkpoints, dict) else None
        if job.status is JobStatus.COMPLETED or (cp and cp.get("complete", True)) \
                or index < current_index:
            state = "done"
        elif index == current_index:
            state = "current"
        else:
            state = "todo"
        rows.append(StageRow(name, state, cp if isinstance(cp, dict) else None))
    return rows


def actions_for(job: Job) -> list[tuple[str, str, str | None]]:
    """(action, button label, confirmation question or None) the job's status allows,
    from the one action table (``jobs.states.ACTIONS``).

    A failed job with a checkpoint labels ``retry`` "Resume from checkpoint", since that
    is what it will do.
    """
    actions: list[tuple[str, str, str | None]] = []
    for action in ACTIONS.values():
        if not action.allowed_from(job.status):
            continue
        label = action.label
        if action.verb == "retry" and job.status is JobStatus.FAILED and job.last_checkpoint_path:
            label = "Resume from checkpoint"
        actions.append((action.verb, label, action.confirm))
    return actions

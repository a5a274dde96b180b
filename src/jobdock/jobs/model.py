"""The job record (`background_jobs`) and the values its fields take. Names follow DESIGN.md."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypedDict

from jobdock.jobs.ids import new_job_id


class JobStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (JobStatus.PENDING, JobStatus.PROCESSING)
TERMINAL_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


class ErrorType(StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    PAYWALL = "paywall"
    INVALID = "invalid"


DEFAULT_MAX_RETRIES = 3

JSON = dict[str, Any]


class CheckpointPointer(TypedDict):
    """``progress.checkpoint``: the newest checkpoint, for display. Not stored: a
    :class:`Job` derives it from its ``last_checkpoint_*`` / ``checkpoint_hash`` columns
    (the pointer's one home) and that stage's record in ``metadata.checkpoints``."""

    stage: str
    path: str
    hash: str
    timestamp: str
    can_resume: bool


class Progress(TypedDict, total=False):
    """``progress``: what a running job reports; every key is optional."""

    percent: float
    stage: str
    details: str
    stage_index: int
    stage_count: int
    updated_at: str
    checkpoint: CheckpointPointer


@dataclass
class NewJob:
    """What a caller provides to enqueue a job; everything else gets a default."""

    job_type: str
    input_data: JSON = field(default_factory=dict)
    user_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    priority: int = 0
    max_retries: int = DEFAULT_MAX_RETRIES
    run_at: datetime | None = None
    metadata: JSON = field(default_factory=dict)
    id: uuid.UUID = field(default_factory=new_job_id)  # time-ordered (jobs/ids.py)
    queue: str | None = None  # None: the job type's queue ("default" unless declared)
    # uniqueness: a duplicate (same key, in one of the statuses, within the window) is not
    # inserted; the submit returns the existing job instead. See jobs/unique.py.
    unique_key: str | None = None
    unique_window: float | None = None  # seconds; the key holds for one window bucket
    unique_statuses: tuple[str, ...] | None = None
    after: tuple[uuid.UUID, ...] = ()  # start only when all of these completed


@dataclass
class Job:
    id: uuid.UUID
    user_id: str | None
    job_type: str
    entity_type: str | None
    entity_id: str | None
    status: JobStatus
    progress: Progress
    input_data: JSON
    output_data: JSON | None
    metadata: JSON
    error_message: str | None
    error_type: ErrorType | None
    retry_count: int
    max_retries: int
    next_retry_at: datetime | None
    priority: int
    run_at: datetime
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    heartbeat_at: datetime | None
    worker_id: str | None
    pause_requested_at: datetime | None
    cancel_requested_at: datetime | None
    paused_at: datetime | None
    pause_reason: str | None
    resumed_at: datetime | None
    resume_count: int
    last_checkpoint_path: str | None
    last_checkpoint_stage: str | None
    checkpoint_hash: str | None
    queue: str = "default"
    unique_key: str | None = None
    unique_statuses: str | None = None
    limited: bool = False  # a concurrency limit or a fair queue applies (gated claim)
    deps_pending: int = 0  # jobs this one still waits for
    has_dependents: bool = False

    def __post_init__(self) -> None:
        stored = "checkpoint" in self.progress  # a copy written by an older version
        if not (stored or self.last_checkpoint_path):
            return
        progress = Progress(**self.progress)  # a copy: the caller's dict stays as it was
        progress.pop("checkpoint", None)
        if self.last_checkpoint_path and self.last_checkpoint_stage:
            progress["checkpoint"] = checkpoint_pointer(
                self.last_checkpoint_stage, self.last_checkpoint_path,
                self.checkpoint_hash or "", self.metadata, self.updated_at)
        self.progress = progress

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def to_dict(self) -> JSON:
        """JSON-ready dict with the DESIGN.md field names (timestamps as ISO 8601)."""
        out: JSON = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, uuid.UUID):
                value = str(value)
            out[f.name] = value
        return out


def checkpoint_pointer(stage: str, path: str, hash_: str, metadata: JSON,
                       fallback_time: datetime) -> CheckpointPointer:
    """``progress.checkpoint`` from the pointer columns; the time is the stage record's."""
    records = metadata.get("checkpoints")
    record = records.get(stage) if isinstance(records, dict) else None
    stamp = record.get("timestamp") if isinstance(record, dict) else None
    return {"stage": stage, "path": path, "hash": hash_,
            "timestamp": stamp if isinstance(stamp, str) else fallback_time.isoformat(),
            "can_resume": True}


JOB_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Job))

"""The stage runtime a handler sees: progress, stages, checkpoints, safe points, retries.

A handler is ``fn(ctx) -> dict | None``. It runs its stages with :meth:`JobContext.run_stage`;
each stage's result is saved as a checkpoint (hashed, recorded on the job row), so a
resumed job skips the stages it already finished. Long stages call
:meth:`JobContext.safe_point`, which reports progress, may save an in-stage cursor, and is
where pause, cancel and shutdown requests take effect.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from jobdock.jobs.checkpoints import (
    CheckpointRecord,
    cursor_key,
    default_prefix,
    encode_json,
    final_key,
    intermediate_key,
    sha256_hex,
)
from jobdock.jobs.errors import ErrorRule, classify
from jobdock.jobs.interrupts import Interrupt, JobInterrupted
from jobdock.jobs.model import ErrorType, Job, Progress
from jobdock.jobs.observe import stage_scope
from jobdock.jobs.registry import Stage
from jobdock.jobs.retry import OperationRetry
from jobdock.jobs.services import ServiceKey

log = logging.getLogger("jobdock.runtime")

T = TypeVar("T")
_UNSET: Any = object()


class RuntimePort(Protocol):
    """What the context needs from the worker that runs it (storage, job row, control)."""

    def write_blob(self, key: str, data: bytes, *, final: bool) -> None: ...

    def write_blob_stream(self, key: str, pieces: Iterable[bytes], *, final: bool) -> None: ...

    def read_blob(self, key: str) -> bytes | None: ...

    def record_checkpoint(self, record: CheckpointRecord, progress: dict[str, Any]) -> None: ...

    def interrupt(self) -> Interrupt | None: ...

    def sleep(self, seconds: float) -> None: ...

    def service(self, key: ServiceKey[T]) -> T: ...

    def delete_blob(self, key: str) -> None: ...


class JobContext:
    def __init__(
        self,
        job: Job,
        port: RuntimePort,
        stages: Sequence[Stage] = (),
        error_rules: Sequence[ErrorRule] = (),
        operation_retry: OperationRetry | None = None,
        prefix: str | None = None,
    ) -> None:
        self.job = job
        self.port = port
        self.input: dict[str, Any] = dict(job.input_data or {})
        self.prefix = prefix or default_prefix(job.id)
        self.error_rules = tuple(error_rules)
        self.operation_retry = operation_retry or OperationRetry()
        self._lock = threading.Lock()
        # The checkpoint pointer lives in the job's columns (Job derives it); never store it here.
        self._progress: Progress = Progress(**(job.progress or {}))
        self._progress.pop("checkpoint", None)
        self.progress_version = 0
        self._stages: list[Stage] = list(stages)
        self._current: str | None = None
        self._checkpoints = {
            name: CheckpointRecord.from_dict(d)
            for name, d in (job.metadata or {}).get("checkpoints", {}).items()
        }
        self.cursor: Any = None
        self.stages_run: list[str] = []  # stages executed (not loaded) in this run

    # ---- stages ---------------------------------------------------------------------
    def plan(self, stages: Sequence[str | Stage]) -> None:
        """Set this run's stages when they depend on the input (else the job type's)."""
        self._stages = [s if isinstance(s, Stage) else Stage(s) for s in stages]

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self._stages]

    def run_stage(self, name: str, fn: Callable[..., T], *args: Any,
                  accept: Callable[[Any], bool] | None = None) -> T:
        """Run one stage, or return its checkpointed result if a verified one exists (and
        ``accept`` takes it: a handler that changed its results' format redoes a stage
        checkpointed by its older self)."""
        if name not in self.stage_names:
            self._stages.append(Stage(name))
        self.check_interrupt()
        loaded = self._load_checkpoint(name)
        if loaded is not _UNSET:
            if accept is None or accept(loaded):
                return loaded  # type: ignore[no-any-return]
            log.warning("checkpoint of stage %s of job %s is in an older format; redoing it",
                        name, self.job.id)
            del self._checkpoints[name]
        with stage_scope(name):
            self._begin_stage(name)
            result = fn(*args)
            self.save_stage_result(name, result)
        self.cursor = None
        return result

    def stage_result(self, name: str) -> Any:
        """The result of a stage finished earlier in this run or a previous one, read back
        from its checkpoint (results are not kept in memory: they may be big)."""
        record = self._checkpoints.get(name)
        loaded = self._load_checkpoint(name) if record and record.complete else _UNSET
        if loaded is _UNSET:
            raise KeyError(name)
        return loaded

    def _begin_stage(self, name: str) -> None:
        self._current = name
        self.stages_run.append(name)
        self._set_progress(self._stage_start_percent(name), name, f"Starting {name}")

    def _load_checkpoint(self, name: str) -> Any:
        record = self._checkpoints.get(name)
        if record is None:
            return _UNSET
        raw = self.port.read_blob(record.path)
        if raw is None or sha256_hex(raw) != record.hash:
            why = "is missing" if raw is None else "does not match its hash"
            log.warning("checkpoint %s of job %s %s; redoing stage %s",
                        record.path, self.job.id, why, name)
            del self._checkpoints[name]
            return _UNSET
        envelope = _decode(raw)
        if record.complete:
            return envelope.get("data")
        self.cursor = envelope.get("cursor")  # partial: resume inside the stage
        return _UNSET

    # ---- checkpoints -------------------------------------------------------------------
    def save_stage_result(self, stage: str, data: Any, final: bool = False) -> str:
        """Save a stage's result; intermediate ones are checkpoints recorded on the job row.

        Returns the storage key. Final results (``{stage}.json``) are outputs kept after
        the job completes; their bytes are the data's canonical JSON.
        """
        if final:
            key = final_key(self.prefix, stage)
            self.port.write_blob(key, encode_json(data), final=True)
            return key
        return self._write_checkpoint(stage, {"data": data}, complete=True)

    def _write_checkpoint(self, stage: str, body: dict[str, Any], complete: bool) -> str:
        """Write the file, then point the job row at it, then drop the file it replaced.

        In-stage cursors go to a fresh key each time: a crash between writing the file and
        updating the row then leaves the row pointing at the previous, intact file.
        """
        declared = next((s for s in self._stages if s.name == stage), None)
        name = declared.checkpoint_name if declared else stage
        key = intermediate_key(self.prefix, name) if complete else \
            cursor_key(self.prefix, name, uuid.uuid4().hex[:12])
        previous = self._checkpoints.get(stage)
        now = datetime.now(UTC).isoformat()
        envelope = {"version": "1.0", "job_id": str(self.job.id), "stage": stage,
                    "complete": complete, "timestamp": now, **body}
        raw = encode_json(envelope)
        self.port.write_blob(key, raw, final=False)
        record = CheckpointRecord(stage, key, sha256_hex(raw), now, complete)
        self._checkpoints[stage] = record
        with self._lock:
            progress: dict[str, Any] = dict(self._progress)
        self.port.record_checkpoint(record, progress)
        if previous is not None and previous.path != key:
            self.port.delete_blob(previous.path)
        return key

    def save_file(self, name: str, data: bytes, final: bool = True) -> str:
        """Store raw bytes beside the job's checkpoints (e.g. ``content.md``); returns the key."""
        key = f"{self.prefix}/{name}"
        self.port.write_blob(key, data, final=final)
        return key

    def save_file_stream(self, name: str, pieces: Iterable[bytes], final: bool = True) -> str:
        """Like :meth:`save_file`, from pieces written as they come: a large file is
        never whole in memory. If ``pieces`` raises, nothing is stored."""
        key = f"{self.prefix}/{name}"
        self.port.write_blob_stream(key, pieces, final=final)
        return key

    def write_key(self, key: str, data: bytes, final: bool = True) -> str:
        """Store bytes at a full storage key (outside the job's prefix, e.g. an export)."""
        self.port.write_blob(key, data, final=final)
        return key

    def read_file(self, key: str) -> bytes | None:
        return self.port.read_blob(key)

    def service(self, key: ServiceKey[T]) -> T:
        """A service an extension wired in (e.g. the library's ``DOCUMENTS`` repository)."""
        return self.port.service(key)

    @property
    def checkpoints(self) -> dict[str, CheckpointRecord]:
        return dict(self._checkpoints)

    # ---- progress and safe points ------------------------------------------------------
    def update_progress(self, percent: float | None = None, stage: str | None = None,
                        details: str | None = None) -> None:
        """Report progress. Cheap: the worker writes the newest value at a bounded rate."""
        self._set_progress(percent, stage, details)

    def safe_point(self, done: int | None = None, total: int | None = None,
                   details: str | None = None, cursor: Any = _UNSET) -> None:
        """Report "Processing item {done} of {total}", save ``cursor`` if given, and
        stop here if a pause, cancel or shutdown was requested."""
        if done is not None and total:
            stage = self._current
            percent = self._stage_start_percent(stage) + self._stage_span(stage) * done / total
            self._set_progress(percent, stage, details or f"Processing item {done} of {total}")
        elif details:
            self._set_progress(None, None, details)
        if cursor is not _UNSET and self._current is not None:
            self.cursor = cursor
            self._write_checkpoint(self._current, {"cursor": cursor}, complete=False)
        self.check_interrupt()

    def check_interrupt(self) -> None:
        reason = self.port.interrupt()
        if reason is not None:
            raise JobInterrupted(reason)

    def progress_snapshot(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            return self.progress_version, dict(self._progress)  # a copy, as plain JSON

    def _set_progress(self, percent: float | None, stage: str | None,
                      details: str | None) -> None:
        with self._lock:
            p = self._progress
            if percent is not None:
                p["percent"] = round(max(0.0, min(100.0, float(percent))), 2)
            if stage is not None:
                p["stage"] = stage
                if stage in self.stage_names:
                    p["stage_index"] = self.stage_names.index(stage)
                    p["stage_count"] = len(self._stages)
            if details is not None:
                p["details"] = details
            p["updated_at"] = datetime.now(UTC).isoformat()
            self.progress_version += 1

    def _stage_start_percent(self, stage: str | None) -> float:
        total = sum(s.weight for s in self._stages) or 1.0
        done = 0.0
        for s in self._stages:
            if s.name == stage:
                break
            done += s.weight
        return 100.0 * done / total

    def _stage_span(self, stage: str | None) -> float:
        total = sum(s.weight for s in self._stages) or 1.0
        weight = next((s.weight for s in self._stages if s.name == stage), 0.0)
        return 100.0 * weight / total

    # ---- in-stage retry ------------------------------------------------------------------
    def with_retry(self, fn: Callable[[], T], *, attempts: int | None = None,
                   what: str = "operation") -> T:
        """Call ``fn``; retry transient failures with short jittered backoff (2/4/8 s...)."""
        policy = self.operation_retry
        tries = attempts or policy.attempts
        for attempt in range(tries):
            try:
                return fn()
            except Exception as exc:
                kind = classify(exc, self.error_rules).error_type
                if kind is not ErrorType.TRANSIENT or attempt == tries - 1:
                    raise
                delay = policy.delay(attempt)
                log.info("%s failed (%s); retry %d/%d in %.1fs", what, exc, attempt + 1,
                         tries - 1, delay)
                self.port.sleep(delay)
                self.check_interrupt()
        raise AssertionError("unreachable")


def _decode(raw: bytes) -> dict[str, Any]:
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"data": value}

"""What a running job tells logs and traces: its id, type and stage.

``job_scope(job)`` and ``stage_scope(name)`` set context variables that
:class:`JsonLogFormatter` adds to every log line, and, when OpenTelemetry's API is
installed, open a span per job and a child span per stage. Without OpenTelemetry the
scopes only set the context variables (no import, no span objects).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

try:  # optional: pip install jobdock[otel]
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - exercised when the extra is absent
    _trace = None  # type: ignore[assignment]

_job: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("jobdock_job",
                                                                              default=None)


def current_job() -> dict[str, str] | None:
    return _job.get()


def _tracing() -> bool:
    """OpenTelemetry is installed and the application set a tracer provider (without
    one every span would be a no-op, yet cost a tenth of a short job's time)."""
    return _trace is not None and not isinstance(_trace.get_tracer_provider(),
                                                  _trace.ProxyTracerProvider)


@contextlib.contextmanager
def job_scope(job_id: object, job_type: str) -> Iterator[None]:
    token = _job.set({"job_id": str(job_id), "job_type": job_type})
    try:
        if not _tracing():
            yield
        else:
            # looked up per job: the tracer follows the provider the application set
            with _trace.get_tracer("jobdock").start_as_current_span(f"job {job_type}", attributes={
                    "jobdock.job_id": str(job_id), "jobdock.job_type": job_type}):
                yield
    finally:
        _job.reset(token)


@contextlib.contextmanager
def stage_scope(stage: str) -> Iterator[None]:
    outer = _job.get()
    token = _job.set({**(outer or {}), "stage": stage})
    try:
        if not _tracing():
            yield
        else:
            with _trace.get_tracer("jobdock").start_as_current_span(
                    f"stage {stage}", attributes={"jobdock.stage": stage}):
                yield
    finally:
        _job.reset(token)


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the running job's id,
    type and stage when the line is logged inside one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        out.update(_job.get() or {})
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def configure_logging(level: str, fmt: str) -> None:
    """``fmt``: ``text`` (the default) or ``json``."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())

"""Job types used by the tests (imported by test workers with ``--import tests.jobtypes``)."""

from __future__ import annotations

import os
import time
from typing import Any

from jobdock import JobContext, PermanentError, TransientError, job_type


def _append(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@job_type("test_record", label="Test: record executions")
def record(ctx: JobContext) -> dict[str, Any]:
    """Writes 'start'/'end' lines with its pid and times, so tests can check exactly-once."""
    path = ctx.input["log"]
    _append(path, f"start {ctx.job.id} {os.getpid()} {time.time():.6f}\n")
    time.sleep(float(ctx.input.get("seconds", 0)))
    _append(path, f"end {ctx.job.id} {os.getpid()} {time.time():.6f}\n")
    return {"pid": os.getpid()}


@job_type("test_block", label="Test: block until a file appears")
def block(ctx: JobContext) -> dict[str, Any]:
    """Announces it started (a file), then waits at safe points until released."""
    _append(ctx.input["started"], f"{ctx.job.id} {os.getpid()}\n")
    release = ctx.input.get("release")
    deadline = time.monotonic() + float(ctx.input.get("max_seconds", 60))
    while time.monotonic() < deadline:
        if release and os.path.exists(release):
            break
        ctx.safe_point(details="waiting")
        time.sleep(0.01)
    return {"pid": os.getpid()}


@job_type("test_fail", label="Test: fail as told")
def fail(ctx: JobContext) -> None:
    kind = ctx.input.get("kind", "permanent")
    message = ctx.input.get("message", "told to fail")
    if kind == "transient":
        raise TransientError(message)
    if kind == "value":
        raise ValueError(message)
    raise PermanentError(message)

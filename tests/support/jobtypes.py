"""Job types used by the tests (test workers load them: ``--import tests.support.jobtypes``)."""

from __future__ import annotations

import os
import time
from typing import Any

from jobdock import JobContext, PermanentError, TransientError, job_type
from jobdock.library.files import document_job_prefix


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


@job_type("test_process_stalling", label="Test: process a document, stall mid-embeddings",
          storage_prefix=document_job_prefix)
def process_stalling(ctx: JobContext) -> Any:
    """process_document that, on its first run, stalls halfway through the embeddings
    (after saving that safe point's cursor) and announces it, so a test can SIGKILL it."""
    from jobdock.library.handlers import process

    if not ctx.job.metadata.get("rescue_count"):
        original = ctx.safe_point

        def safe_point(done=None, total=None, *args, **kwargs):  # type: ignore[no-untyped-def]
            original(done, total, *args, **kwargs)
            if ctx.stage_names and done and total and done >= total // 2 and \
                    ctx.progress_snapshot()[1].get("stage") == "embeddings":
                _append(ctx.input["stalled"], f"{ctx.job.id} {done}\n")
                time.sleep(120)

        ctx.safe_point = safe_point  # type: ignore[method-assign]
    ctx.plan(process.STAGES)
    return process.process_document(ctx)

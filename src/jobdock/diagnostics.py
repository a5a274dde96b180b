"""Diagnostic job types for benchmarks, docs and tests: ``noop`` and ``staged_sleep``."""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError, TransientError
from jobdock.jobs.registry import Registry, default_registry

STAGED_SLEEP_DEFAULTS: dict[str, Any] = {
    "stages": 8,
    "steps_per_stage": 10,
    "step_seconds": 0.01,
    "fail_transient_times": 0,
    "fail_permanent_at": None,
    "trace_file": None,
}



class StagedSleepInput(BaseModel):
    """What ``staged_sleep`` reads; other keys (a title, a note) are kept as given."""

    model_config = ConfigDict(extra="allow")

    stages: int = Field(8, ge=1, le=1000, description="How many stages (part1, part2, …).")
    steps_per_stage: int = Field(10, ge=0, le=1_000_000, description="Safe points per stage.")
    step_seconds: float = Field(0.01, ge=0, le=3600, allow_inf_nan=False,
                                description="Sleep per step.")
    fail_transient_times: int = Field(0, ge=0, description="Fail transiently on this many "
                                                           "attempts (to see retries).")
    fail_permanent_at: int | None = Field(None, ge=0, description="Fail for good at this "
                                                                   "stage index.")
    trace_file: str | None = Field(None, description="Append one line per step here.")


DIGEST_SEED = hashlib.sha256(b"staged_sleep").hexdigest()


def chain_digest(digest: str, stage: int, step: int) -> str:
    """One link of the digest: SHA-256 over the previous digest and (stage, step)."""
    return hashlib.sha256(f"{digest}|{stage}:{step}".encode()).hexdigest()


def expected_digest(stages: int, steps_per_stage: int) -> str:
    """The digest of an uninterrupted run, for comparisons."""
    digest = DIGEST_SEED
    for stage in range(stages):
        for step in range(steps_per_stage):
            digest = chain_digest(digest, stage, step)
    return digest


def stage_name(index: int) -> str:
    return f"part{index + 1}"


async def noop(ctx: JobContext) -> None:
    """Does nothing; measures the queue's own cost."""
    return None


def staged_sleep(ctx: JobContext) -> dict[str, Any]:
    """Sleeps through stages of steps; its digest proves the order of what ran."""
    params = {**STAGED_SLEEP_DEFAULTS, **ctx.input}
    stages, steps = int(params["stages"]), int(params["steps_per_stage"])
    ctx.plan([stage_name(i) for i in range(stages)])
    digest = DIGEST_SEED
    for index in range(stages):
        _maybe_fail(ctx, params, index)
        result = ctx.run_stage(stage_name(index), _run_stage, ctx, params, index, digest)
        digest = result["digest"]
    return {"digest": digest, "stages": stages, "steps_per_stage": steps}


def _maybe_fail(ctx: JobContext, params: dict[str, Any], index: int) -> None:
    if params["fail_permanent_at"] is not None and index == int(params["fail_permanent_at"]):
        raise PermanentError(f"staged_sleep was told to fail permanently at stage {index + 1}")
    # Attempt r (0-based retry_count) fails when it reaches stage r + 1, so every
    # failure happens after at least one stage has been checkpointed.
    attempt = ctx.job.retry_count
    if attempt < int(params["fail_transient_times"]) and index == min(attempt + 1,
                                                                      params["stages"] - 1):
        raise TransientError(f"staged_sleep simulated a transient failure (attempt {attempt + 1})")


def _run_stage(ctx: JobContext, params: dict[str, Any], index: int, digest: str) -> dict[str, str]:
    steps = int(params["steps_per_stage"])
    start, digest = 0, digest
    if ctx.cursor:
        start, digest = int(ctx.cursor["step"]), ctx.cursor["digest"]
    for step in range(start, steps):
        time.sleep(float(params["step_seconds"]))
        digest = chain_digest(digest, index, step)
        _trace(params["trace_file"], ctx, index, step)
        ctx.safe_point(step + 1, steps, cursor={"step": step + 1, "digest": digest})
    return {"digest": digest}


def _trace(path: str | None, ctx: JobContext, stage: int, step: int) -> None:
    if not path:
        return
    line = f"{ctx.job.id} {stage} {step} {os.getpid()}\n".encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def register(registry: Registry) -> None:
    registry.job_type("noop", label="No-op (diagnostic)")(noop)
    registry.job_type(
        "staged_sleep",
        label="Staged sleep (diagnostic)",
        stages=[stage_name(i) for i in range(STAGED_SLEEP_DEFAULTS["stages"])],
        input=StagedSleepInput,
    )(staged_sleep)


register(default_registry)

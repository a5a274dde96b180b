"""The rig's job type (workers load it with ``--import tests.multihost.jobtypes``).

``rig_staged`` chains SHA-256 over its seed through ``stages`` x ``steps`` steps, saving
each stage as a checkpoint and an in-stage cursor after every step, all through the
worker's storage (the object store). Its final result goes to ``result.json``. Each run
appends ``done <job> <run> <host>`` to a trace file when its handler returns, so a test
can tell which runs finished and which one the database recorded.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from typing import Any

from jobdock import JobContext, job_type

HOST_ENV = "JOBDOCK_RIG_HOST"
TRACE_ENV = "JOBDOCK_RIG_TRACE"


def link(digest: str, stage: int, step: int) -> str:
    return hashlib.sha256(f"{digest}|{stage}:{step}".encode()).hexdigest()


def uninterrupted_digest(seed: int, stages: int, steps: int) -> str:
    """What an uninterrupted run of ``rig_staged`` returns."""
    digest = hashlib.sha256(f"rig:{seed}".encode()).hexdigest()
    for stage in range(stages):
        for step in range(steps):
            digest = link(digest, stage, step)
    return digest


def _stage(ctx: JobContext, index: int, steps: int, seconds: float,
           digest: str) -> dict[str, str]:
    start = 0
    if ctx.cursor:
        start, digest = int(ctx.cursor["step"]), ctx.cursor["digest"]
    for step in range(start, steps):
        time.sleep(seconds)
        digest = link(digest, index, step)
        ctx.safe_point(step + 1, steps, cursor={"step": step + 1, "digest": digest})
    return {"digest": digest}


@job_type("rig_staged", label="Rig: staged digest over the object store")
def rig_staged(ctx: JobContext) -> dict[str, Any]:
    run = uuid.uuid4().hex[:12]
    seed, stages = int(ctx.input["seed"]), int(ctx.input.get("stages", 3))
    steps, seconds = int(ctx.input.get("steps", 2)), float(ctx.input.get("step_seconds", 0.05))
    ctx.plan([f"s{i}" for i in range(stages)])
    digest = hashlib.sha256(f"rig:{seed}".encode()).hexdigest()
    for index in range(stages):
        digest = ctx.run_stage(f"s{index}", _stage, ctx, index, steps, seconds, digest)["digest"]
    ctx.save_stage_result("result", {"seed": seed, "digest": digest}, final=True)
    host = os.environ.get(HOST_ENV, "?")
    trace = os.environ.get(TRACE_ENV)
    if trace:
        fd = os.open(trace, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"done {ctx.job.id} {run} {host}\n".encode())
        finally:
            os.close(fd)
    return {"digest": digest, "run": run, "host": host}


@job_type("rig_write_after_release", label="Rig: save a cursor once a file appears")
def write_after_release(ctx: JobContext) -> dict[str, Any]:
    """Announces it started, waits for the release file, then saves an in-stage cursor:
    the write a worker cut off from Postgres makes when the link comes back."""
    def stage() -> dict[str, Any]:
        with open(ctx.input["started"], "a") as f:
            f.write("started\n")
        deadline = time.monotonic() + 60
        while not os.path.exists(ctx.input["release"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        ctx.safe_point(1, 2, cursor={"step": 1})
        return {}

    ctx.run_stage("only", stage)
    return {}

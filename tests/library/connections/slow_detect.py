"""A detect_connections that writes a trace line and takes 0.2 s at every safe point, so
a test can SIGKILL its worker mid-engine. Imported by the worker process (--import)."""

from __future__ import annotations

import os
import time
from typing import Any

from jobdock import JobContext, job_type
from jobdock.library.connections import detect


@job_type("test_detect_slow", stages=detect.STAGES)
def slow_detect(ctx: JobContext) -> Any:
    original = ctx.safe_point

    def safe_point(done=None, total=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        cursor = kwargs.get("cursor") or {}
        with open(ctx.input["trace"], "a") as trace:
            trace.write(f"{cursor.get('engine')} {done} {os.getpid()}\n")
        time.sleep(0.2)
        return original(done, total, *args, **kwargs)

    ctx.safe_point = safe_point  # type: ignore[method-assign]
    return detect.detect_connections(ctx)

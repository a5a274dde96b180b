"""The benchmark's job types; the worker imports this module (``--import jobdock_bench.jobs``).

Every job appends one line to the file named by ``$JOBDOCK_BENCH_SINK`` (one ``write()``
with ``O_APPEND``), in peerbench's sink format::

    <job index> <t_enqueue> <t_start> <t_end> <seconds spent in progress calls>

``bench_noop`` / ``bench_pipeline`` are ``async def`` handlers (they run on the worker's
loop, like the peers' jobs); ``*_sync`` are the same bodies as plain ``def`` handlers,
which jobdock runs in a thread of their own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from jobdock.jobs.context import JobContext
from jobdock.jobs.registry import job_type

SINK_ENV = "JOBDOCK_BENCH_SINK"
STEPS = 8  # stages per W3 pipeline job
STAGES = [f"stage{k}" for k in range(STEPS)]

_fd: int | None = None
_fd_path: str | None = None


def record(i: int, t_enq: float, t_start: float, t_end: float, step_s: float = 0.0) -> None:
    global _fd, _fd_path
    path = os.environ[SINK_ENV]
    if _fd is None or _fd_path != path:
        _fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        _fd_path = path
    os.write(_fd, b"%d %.6f %.6f %.6f %.9f\n" % (i, t_enq, t_start, t_end, step_s))


def noop_job(i: int, t_enq: float) -> None:
    t0 = time.time()
    record(i, t_enq, t0, time.time())


def pipeline_job(i: int, t_enq: float, report: bool,
                 progress: Callable[[int], object] | None) -> None:
    t0 = time.time()
    spent = 0.0
    for stage in range(STEPS):
        if report and progress is not None:
            a = time.perf_counter()
            progress(stage)
            spent += time.perf_counter() - a
    record(i, t_enq, t0, time.time(), spent)


def _pipeline(ctx: JobContext) -> None:
    def progress(stage: int) -> None:
        ctx.update_progress(100.0 * (stage + 1) / STEPS, STAGES[stage])

    pipeline_job(ctx.input["i"], ctx.input["t"], ctx.input.get("report", False), progress)


@job_type("bench_noop", description="Benchmark: record start and end, nothing else.")
async def bench_noop(ctx: JobContext) -> None:
    noop_job(ctx.input["i"], ctx.input["t"])


@job_type("bench_pipeline", stages=STAGES,
          description="Benchmark: 8 stages, progress reported at each when asked.")
async def bench_pipeline(ctx: JobContext) -> None:
    _pipeline(ctx)


@job_type("bench_noop_sync", description="Benchmark: bench_noop as a thread handler.")
def bench_noop_sync(ctx: JobContext) -> None:
    noop_job(ctx.input["i"], ctx.input["t"])


@job_type("bench_pipeline_sync", stages=STAGES,
          description="Benchmark: bench_pipeline as a thread handler.")
def bench_pipeline_sync(ctx: JobContext) -> None:
    _pipeline(ctx)

"""How long a cancel or pause takes to take effect on a running job (issue 12/13).

From the admin's request to the job's new state in the database (paused, or
cancelled: the run stopped; its row and files are deleted right after), for a job
with a safe point every ``--step`` seconds, on SQLite and on Postgres
(127.0.0.1:5432/test, a schema of its own). Prints p50/p95/max per store and action;
the target is one safe-point interval + 50 ms at p95.

    .venv/bin/python bench/control_latency.py --trials 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

from jobdock.app import Dock
from jobdock.jobs.context import JobContext
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.jobs.registry import default_registry
from jobdock.settings import Settings
from jobdock.worker import WorkerSettings

PG_BASE = "postgresql://postgres@127.0.0.1:5432/test"


@default_registry.job_type("bench_ticking", label="Bench: a safe point every step")
def ticking(ctx: JobContext) -> dict[str, Any]:
    step, steps = float(ctx.input["step"]), int(ctx.input["steps"])
    for i in range(steps):
        time.sleep(step)
        ctx.safe_point(i + 1, steps)
    return {}


async def _until(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.001)


async def one(dock: Dock, action: str, step: float, rng: random.Random) -> float:
    job = await dock.admin.submit(NewJob("bench_ticking", {"step": step, "steps": 2000}))

    async def started() -> bool:
        row = await dock.store.job_get(job.id)
        return row is not None and row.status is JobStatus.PROCESSING
    await _until(started)
    await asyncio.sleep(rng.uniform(0, 0.05))
    t0 = time.monotonic()
    if action == "cancel":
        await dock.admin.cancel_and_delete_job(job.id)
    else:
        await dock.admin.pause_job(job.id)

    async def took_effect() -> bool:
        row = await dock.store.job_get(job.id)
        if action == "cancel":  # the run stopped (deleting its row and files follows)
            return row is None or row.status is JobStatus.CANCELLED
        return row is not None and row.status is JobStatus.PAUSED
    await _until(took_effect)
    elapsed = time.monotonic() - t0
    if action == "pause":
        await dock.admin.cancel_and_delete_job(job.id)
    return elapsed


async def measure(url: str, storage: Path, trials: int, step: float) -> dict[str, list[float]]:
    dock = await Dock.open(Settings(database_url=url, storage_url=str(storage),
                                    home=storage / "home"))
    rng = random.Random(1)
    results: dict[str, list[float]] = {}
    try:
        await dock.start_feed(ui=False)
        worker = dock.worker(WorkerSettings(concurrency=10))
        task = asyncio.create_task(worker.run())
        for action in ("cancel", "pause"):
            samples: list[float] = []
            while len(samples) < trials:
                samples += await asyncio.gather(*(one(dock, action, step, rng)
                                                  for _ in range(10)))
            results[action] = samples
        worker.stop()
        await task
    finally:
        await dock.close()
    return results


def report(store: str, results: dict[str, list[float]], step: float) -> None:
    for action, samples in results.items():
        ms = sorted(s * 1000 for s in samples)
        p95 = ms[int(0.95 * (len(ms) - 1))]
        print(f"{store:8} {action:6} n={len(ms)} p50={statistics.median(ms):6.1f} ms "
              f"p95={p95:6.1f} ms max={ms[-1]:6.1f} ms "
              f"(target p95 <= {step * 1000 + 50:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--step", type=float, default=0.02, help="seconds between safe points")
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for store in args.stores.split(","):
            if store == "sqlite":
                url = f"sqlite:///{root / 'bench.db'}"
                report(store, asyncio.run(measure(url, root / "s", args.trials, args.step)),
                       args.step)
                continue
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(PG_BASE, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
                report(store, asyncio.run(measure(url, root / "p", args.trials, args.step)),
                       args.step)
            finally:
                with psycopg.connect(PG_BASE, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

"""CPU per job of a drain, worker in this process (issue 13): the hot path without the
start-up, the sink file or the driver.

    .venv/bin/python bench/drain_inprocess.py --backend postgres --n 5000 --rounds 3
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/drain_inprocess.py ...   # another tree

Enqueues ``--n`` no-op async jobs (``bench_noop``, sink /dev/null), then runs a burst
worker (concurrency 10) in this process until the queue is empty. Prints jobs/s, this
process's CPU per job (``time.process_time``: the worker, its threads, nothing else runs)
and, on Postgres, the CPU per job of the backends serving it (/proc, found by
``application_name``), with the load average. Postgres: a schema of its own in
``--postgres-url`` (dropped afterwards); SQLite: a temporary file. ``--profile FILE``
writes a cProfile of the drain.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("JOBDOCK_BENCH_SINK", os.devnull)

import jobdock_bench.jobs  # noqa: F401  (registers bench_noop)
import psycopg
from jobdock_bench.target import process_cpu_seconds

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.jobs.observe import configure_logging
from jobdock.settings import Settings
from jobdock.worker import WorkerSettings

APP = "jobdock_drain_inprocess"


def backends_cpu(base_url: str) -> dict[int, float]:
    with psycopg.connect(base_url) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP,))]
    return {pid: cpu for pid in pids if (cpu := process_cpu_seconds(pid)) is not None}


async def drain(url: str, base_url: str | None, home: Path, n: int, concurrency: int,
                profile: str | None) -> str:
    dock = await Dock.open(Settings(database_url=url, storage_url=str(home / "storage"),
                                    home=home / "home"))
    try:
        news = [NewJob("bench_noop", {"i": i, "t": time.time()}) for i in range(n)]
        for k in range(0, n, 1000):
            await dock.admin.submit_many(news[k:k + 1000])
        await dock.start_feed(ui=False)
        worker = dock.worker(WorkerSettings(concurrency=concurrency, burst=True))
        pg0 = backends_cpu(base_url) if base_url else {}
        cpu0, t0 = time.process_time(), time.perf_counter()
        prof = cProfile.Profile() if profile else None
        if prof:
            prof.enable()
        await worker.run()
        if prof:
            prof.disable()
            prof.dump_stats(profile)
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        pg1 = backends_cpu(base_url) if base_url else {}
        pg = sum(v - pg0.get(k, 0.0) for k, v in pg1.items())
        left = await dock.store.job_outstanding()
    finally:
        await dock.close()
    line = (f"{n / wall:8,.0f} jobs/s  worker {cpu / n * 1e6:4.0f} us/job  "
            f"postgres {pg / n * 1e6:4.0f} us/job  load {os.getloadavg()[0]:.1f}")
    return line + (f"  ({left} left!)" if left else "")


def one(backend: str, postgres_url: str, n: int, concurrency: int,
        profile: str | None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        if backend == "sqlite":
            return asyncio.run(drain(f"sqlite:///{home / 'drain.db'}", None, home, n,
                                     concurrency, profile))
        schema = f"drain_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            sep = "&" if "?" in postgres_url else "?"
            url = f"{postgres_url}{sep}options=-csearch_path%3D{schema}&application_name={APP}"
            return asyncio.run(drain(url, postgres_url, home, n, concurrency, profile))
        finally:
            with psycopg.connect(postgres_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default=None, help="cProfile output file (last round)")
    parser.add_argument("--log-level", default="warning",
                        help="the worker's log level (the peer harness runs it at warning; "
                             "info adds one line per job)")
    args = parser.parse_args()
    configure_logging(args.log_level, "text")  # as the CLI worker
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))  # noqa: SIM115
    for _ in range(args.rounds):
        print(f"{args.backend:8} n={args.n}", one(args.backend, args.postgres_url, args.n,
                                                   args.concurrency, args.profile), flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: the database side of a drain, per job, with and without count triggers and
extra list indexes (Postgres).

    .venv/bin/python bench/hotpath_cost.py --rounds 5 --n 3000

One schema, one session, variants in turns (A B C D A B C D ...). Each turn: bulk insert
``n`` jobs (job_insert_many), then claim 10 / complete those 10 (job_claim,
job_complete_many: the worker's own statements, on a connection with the worker's
session settings) until none is left, timed. Prints µs per job (claim + complete) and per
inserted job, medians. No worker process and no Python handler: what is left is the
statements' cost, which is what a trigger or an index adds to.

Wall time on a busy machine is mostly waiting for a core; the steadier figure is the
CPU time the server process itself spent (``/proc/<backend pid>/schedstat``, ns), so
the script must run on the database's machine.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from jobdock_bench.variants import COUNT_TRIGGERS, INDEXES, VARIANTS

from jobdock.store.queries import load_queries

BASE = "postgresql://postgres@127.0.0.1:5432/test"


def prepare(conn: psycopg.Connection[Any], counts: bool, indexes: tuple[str, ...]) -> None:
    conn.execute("TRUNCATE background_jobs")
    for name, create in INDEXES.items():
        drop = f"DROP INDEX IF EXISTS background_jobs_{name}_idx"
        conn.execute(create if name in indexes else drop)
    for trigger in COUNT_TRIGGERS:
        conn.execute(f"ALTER TABLE background_jobs "
                     f"{'ENABLE' if counts else 'DISABLE'} TRIGGER {trigger}")
    conn.execute("VACUUM ANALYZE background_jobs")


def insert(conn: psycopg.Connection[Any], q: dict[str, str], n: int) -> None:
    for start in range(0, n, 1000):
        rows = [{"id": str(uuid.uuid4()), "job_type": "bench_noop", "input_data": {"i": i},
                 "max_retries": 3} for i in range(start, min(start + 1000, n))]
        conn.execute(q["job_insert_many"], {"rows": json.dumps(rows), "now": datetime.now(UTC)})


def drain(conn: psycopg.Connection[Any], q: dict[str, str]) -> int:
    """Claim 10, complete them, until none is left; fold the counts every 500 jobs."""
    done = 0
    while True:
        now = datetime.now(UTC)
        rows = conn.execute(q["job_claim"], {
            "worker_id": "w", "limit": 10, "types": None, "queues": None, "now": now},
            prepare=True).fetchall()
        claimed = [r[1] for r in rows if r[1] is not None]  # (limited_due, id, …)
        if not claimed:
            return done
        results = [{"id": str(c), "output": None, "progress": None} for c in claimed]
        conn.execute(q["job_complete_many"], {
            "rows": json.dumps(results), "worker_id": "w", "now": now}, prepare=True)
        done += len(claimed)
        if done % 500 == 0:
            conn.execute(q["job_counts_fold"])


@contextlib.contextmanager
def migrated_schema(database_url: str, prefix: str) -> Iterator[str]:
    """A fresh schema with jobdock's migrations applied; its URL (search_path); dropped
    afterwards."""
    import asyncio

    from jobdock.app import Dock
    from jobdock.settings import Settings

    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = f"{database_url}?options=-csearch_path%3D{schema}"
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    try:
        async def migrate() -> None:
            dock = await Dock.open(Settings(database_url=url))
            await dock.close()
        asyncio.run(migrate())
        yield url
    finally:
        with psycopg.connect(database_url, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def backend_cpu_ns(conn: psycopg.Connection[Any]) -> Callable[[], int]:
    """The CPU time (ns) the server process behind ``conn`` has used so far, as a reader
    (``/proc/<pid>/schedstat``: this script must run on the database's machine)."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]

    def cpu_ns() -> int:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0])
    return cpu_ns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--database-url", default=BASE)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    names = [v for v in args.variants.split(",") if v]
    q = load_queries("postgres")
    with migrated_schema(args.database_url, "hotpath") as url:
        claim_us: dict[str, list[float]] = {v: [] for v in names}
        claim_cpu: dict[str, list[float]] = {v: [] for v in names}
        insert_cpu: dict[str, list[float]] = {v: [] for v in names}
        insert_us: dict[str, list[float]] = {v: [] for v in names}
        print(f"# {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load "
              f"{os.getloadavg()}; n={args.n}, {args.rounds} rounds")
        with psycopg.connect(url, autocommit=True) as conn:
            for setting in ("planner_ordered_claim", "relaxed_commit"):
                conn.execute(q[setting])
            cpu_ns = backend_cpu_ns(conn)
            for r in range(args.rounds):
                for v in names:
                    counts, indexes = VARIANTS[v]
                    prepare(conn, counts, indexes)
                    began, cpu0 = time.perf_counter(), cpu_ns()
                    insert(conn, q, args.n)
                    inserted, cpu1 = time.perf_counter(), cpu_ns()
                    done = drain(conn, q)
                    ended, cpu2 = time.perf_counter(), cpu_ns()
                    insert_cpu[v].append((cpu1 - cpu0) / args.n / 1e3)
                    claim_cpu[v].append((cpu2 - cpu1) / args.n / 1e3)
                    assert done == args.n, (v, done)
                    insert_us[v].append((inserted - began) / args.n * 1e6)
                    claim_us[v].append((ended - inserted) / args.n * 1e6)
                    print(f"round {r + 1} {v:<26} insert {insert_us[v][-1]:6.1f} µs/job  "
                          f"claim+complete {claim_us[v][-1]:6.1f} µs/job; server CPU "
                          f"insert {insert_cpu[v][-1]:5.1f} claim+complete "
                          f"{claim_cpu[v][-1]:5.1f} µs/job  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
        base = statistics.median(claim_cpu[names[0]])
        print(f"\n{'variant':<28} {'server CPU µs/job: claim+complete':>34} {'insert':>7}"
              f" {'wall µs/job: claim+complete':>28} {'insert':>7}")
        for v in names:
            med = statistics.median(claim_cpu[v])
            print(f"{v:<26} {med:34.1f} {statistics.median(insert_cpu[v]):7.1f} "
                  f"{statistics.median(claim_us[v]):28.1f} "
                  f"{statistics.median(insert_us[v]):7.1f}   CPU {med / base:.2f}x of {names[0]}")
        print(f"# end load {os.getloadavg()}")


if __name__ == "__main__":
    main()

"""Benchmark: where a single submit's time goes on Postgres (issue 13's single-enqueue goal).

    cd bench && python single_enqueue_cost.py --rounds 4 --n 2000

Variants in turns, in one process and one scratch schema, each ``--n`` submits one after
another (what W1's single enqueue does):

- ``AsyncClient.submit``: jobdock's whole path (validation, pool, prepared INSERT);
- ``raw insert``: the same prepared ``job_insert_plain`` on a bare psycopg connection;
- ``no count trigger`` / ``no notify trigger`` / ``no triggers``: the raw insert with the
  table's count trigger, its notify trigger, or all its triggers disabled;
- ``async commit``: the raw insert with ``synchronous_commit = off`` (the commit no longer
  waits for the WAL flush; jobdock does not do this for submits, which stay durable).

Prints per variant: submits/s, and µs per submit of wall time, of this process's CPU and
of the server process's CPU (``/proc``: run it on the database's machine; the client's
server process is not measured, its variant shows ``-``). Medians over ``--rounds``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import jobdock_bench.jobs  # noqa: F401  (registers bench_noop)
import psycopg
from hotpath_cost import migrated_schema
from psycopg.types.json import Jsonb

from jobdock.client import AsyncClient
from jobdock.store.queries import load_queries

BASE = "postgresql://postgres@127.0.0.1:5432/test"
Variant = Callable[[], Awaitable[None]]


def server_cpu_ns(pid: int) -> int:
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


async def run(url: str, rounds: int, n: int, storage: Path) -> None:
    client = await AsyncClient.connect(url, str(storage), ["jobdock_bench.jobs"])
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    pid = raw.info.backend_pid
    insert = load_queries("postgres")["job_insert_plain"]

    async def raw_inserts() -> None:
        now = datetime.now(UTC)
        for i in range(n):
            await raw.execute(insert, {
                "id": uuid.uuid4(), "user_id": None, "job_type": "bench_noop",
                "entity_type": None, "entity_id": None, "input_data": Jsonb({"i": i, "t": 1.0}),
                "metadata": Jsonb({}), "max_retries": 3, "priority": 0, "run_at": now,
                "now": now, "queue": "default"}, prepare=True)

    async def with_setting(on: str, off: str) -> None:
        await raw.execute(on)
        try:
            await raw_inserts()
        finally:
            await raw.execute(off)

    def triggers_off(which: str) -> Variant:
        return lambda: with_setting(f"ALTER TABLE background_jobs DISABLE TRIGGER {which}",
                                    f"ALTER TABLE background_jobs ENABLE TRIGGER {which}")

    async def client_submits() -> None:
        for i in range(n):
            await client.submit("bench_noop", {"i": i, "t": 1.0})

    variants: dict[str, tuple[Variant, bool]] = {
        "AsyncClient.submit": (client_submits, False),
        "raw insert": (raw_inserts, True),
        "no count trigger": (triggers_off("background_jobs_count_insert"), True),
        "no notify trigger": (triggers_off("background_jobs_notify_insert"), True),
        "no triggers": (triggers_off("USER"), True),
        "async commit": (lambda: with_setting("SET synchronous_commit = off",
                                              "SET synchronous_commit = on"), True),
    }
    out: dict[str, list[tuple[float, float, float | None]]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, (work, on_raw) in variants.items():
            await raw.execute("TRUNCATE background_jobs")
            t0, c0, s0 = time.perf_counter(), time.process_time(), server_cpu_ns(pid)
            await work()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            server = (server_cpu_ns(pid) - s0) / n / 1e3 if on_raw else None
            out[name].append((wall / n * 1e6, cpu / n * 1e6, server))
    await raw.close()
    await client.close()
    print(f"{'variant':20s} {'submits/s':>10s} {'wall µs':>8s} {'client µs':>10s} "
          f"{'server µs':>10s}")
    for name, runs in out.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        servers = [r[2] for r in runs if r[2] is not None]
        server = f"{statistics.median(servers):10.1f}" if servers else f"{'-':>10s}"
        print(f"{name:20s} {1e6 / wall:10,.0f} {wall:8.0f} {cpu:10.0f} {server}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=BASE)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args(argv)
    with migrated_schema(args.postgres_url, "jobdock_single") as url, \
            tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(url, args.rounds, args.n, Path(tmp)))


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: what random job ids (UUIDv4) cost against time-ordered ones (UUIDv7, what
jobdock makes since 2026-12-01), on an empty table and on a big one.

    .venv/bin/python bench/job_id_locality.py --rows 1000000 --rounds 5
    .venv/bin/python bench/job_id_locality.py --backend sqlite --rows 1000000

Both stores keep jobs in a primary-key index on ``id``. A random id lands on a random
page of it: on a big table most inserts dirty a page untouched since the last checkpoint
(Postgres then writes a full-page image of it to the WAL) or not in memory at all. A
time-ordered id lands at the index's right edge.

Each turn inserts ``--batches`` bulk statements of 1,000 jobs (``job_insert_many``) and
``--singles`` one-job inserts (Postgres: ``job_insert_plain``, autocommit; SQLite: one
transaction each), with v4 ids and then v7 ids, in turns, into the same table: first
empty (emptied before each turn), then holding ``--rows`` finished jobs (inserted with
random ids, as a table filled before this change is). On Postgres each turn then drains
the jobs it put, with the worker's statements (claim 10, complete 10; no worker process).
Prints µs per job, medians: wall time, and on Postgres the CPU time of the server
process (``/proc``: run it on the database's machine).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from hotpath_cost import backend_cpu_ns, migrated_schema
from hotpath_cost import drain as drain_queue
from psycopg.types.json import Jsonb

from jobdock.jobs.ids import new_job_id
from jobdock.store.queries import load_queries

BASE = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 1000
IdMaker = Callable[[], uuid.UUID]
KINDS: dict[str, IdMaker] = {"v4 (random)": uuid.uuid4, "v7 (time-ordered)": new_job_id}


class Postgres:
    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.cpu_ns = backend_cpu_ns(self.conn)
        self.q = load_queries("postgres")

    def bulk(self, make_id: IdMaker, n: int) -> None:
        rows = [{"id": str(make_id()), "job_type": "bench_noop", "input_data": {"i": i},
                 "max_retries": 3} for i in range(n)]
        self.conn.execute(self.q["job_insert_many"],
                          {"rows": json.dumps(rows), "now": datetime.now(UTC)}, prepare=True)

    def single(self, make_id: IdMaker) -> None:
        now = datetime.now(UTC)
        self.conn.execute(self.q["job_insert_plain"], {
            "id": make_id(), "user_id": None, "job_type": "bench_noop", "entity_type": None,
            "entity_id": None, "input_data": Jsonb({"i": 1}), "metadata": Jsonb({}),
            "max_retries": 3, "priority": 0, "run_at": now, "now": now,
            "queue": "default"}, prepare=True)

    def truncate(self) -> None:
        self.conn.execute("TRUNCATE background_jobs")

    def finish_all(self) -> None:
        self.conn.execute("UPDATE background_jobs SET status = 'completed', worker_id = 'w', "
                          "started_at = now(), completed_at = now() WHERE status = 'pending'")

    def drain(self) -> None:
        drain_queue(self.conn, self.q)

    def settle(self) -> None:
        self.conn.execute("VACUUM ANALYZE background_jobs")
        self.conn.execute("CHECKPOINT")  # every turn starts after a checkpoint alike


class Sqlite:
    def __init__(self, path: Path) -> None:
        import asyncio

        from jobdock.app import Dock
        from jobdock.settings import Settings

        async def migrate() -> None:
            await (await Dock.open(Settings(database_url=f"sqlite:///{path}"))).close()
        asyncio.run(migrate())
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = NORMAL")  # what the store sets
        self.q = load_queries("sqlite")
        self.cpu_ns = None

    def _write(self, name: str, params: dict[str, Any]) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(self.q[name], params)
        self.conn.execute("COMMIT")

    def bulk(self, make_id: IdMaker, n: int) -> None:
        rows = [{"id": str(make_id()), "job_type": "bench_noop", "input_data": {"i": i},
                 "max_retries": 3} for i in range(n)]
        self._write("job_insert_many", {"rows": json.dumps(rows),
                                        "now": datetime.now(UTC).isoformat()})

    def single(self, make_id: IdMaker) -> None:
        now = datetime.now(UTC).isoformat()
        self._write("job_insert_plain", {
            "id": str(make_id()), "user_id": None, "job_type": "bench_noop",
            "entity_type": None, "entity_id": None, "input_data": '{"i":1}', "metadata": "{}",
            "max_retries": 3, "priority": 0, "run_at": now, "now": now, "queue": "default"})

    def truncate(self) -> None:
        self.conn.execute("DELETE FROM background_jobs")

    def finish_all(self) -> None:
        self.conn.execute("UPDATE background_jobs SET status = 'completed', worker_id = 'w', "
                          "started_at = :now, completed_at = :now WHERE status = 'pending'",
                          {"now": datetime.now(UTC).isoformat()})

    def settle(self) -> None:
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def measure(db: Postgres | Sqlite, args: argparse.Namespace, empty: bool
            ) -> dict[str, list[tuple[float, float | None]]]:
    out: dict[str, list[tuple[float, float | None]]] = {}
    for _ in range(args.rounds):
        for kind, make_id in KINDS.items():
            if empty:
                db.truncate()
            for what, n, work in (
                    ("bulk", args.batches * BATCH,
                     lambda m=make_id: [db.bulk(m, BATCH) for _ in range(args.batches)]),
                    ("single", args.singles,
                     lambda m=make_id: [db.single(m) for _ in range(args.singles)])):
                db.settle()
                t0, c0 = time.perf_counter(), db.cpu_ns() if db.cpu_ns else 0
                work()
                wall = (time.perf_counter() - t0) / n * 1e6
                server = (db.cpu_ns() - c0) / n / 1e3 if db.cpu_ns else None
                out.setdefault(f"{what:6s} {kind}", []).append((wall, server))
            if isinstance(db, Postgres):  # the worker's claim/complete of the jobs just put
                db.settle()
                n = args.batches * BATCH + args.singles
                t0, c0 = time.perf_counter(), db.cpu_ns()
                db.drain()
                out.setdefault(f"drain  {kind}", []).append(
                    ((time.perf_counter() - t0) / n * 1e6, (db.cpu_ns() - c0) / n / 1e3))
    return out


def report(label: str, out: dict[str, list[tuple[float, float | None]]]) -> None:
    for name, runs in out.items():
        wall = statistics.median(r[0] for r in runs)
        line = f"{label:>12s}  {name:24s} {wall:7.1f} µs/job wall"
        if runs[0][1] is not None:
            line += f"  {statistics.median(r[1] for r in runs):7.1f} µs/job server CPU"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--postgres-url", default=BASE)
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="jobs in the big table (0: only the empty one)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--singles", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.backend}: {args.rounds} rounds in turns; bulk {args.batches} x {BATCH} "
          f"jobs, {args.singles} single inserts; medians", flush=True)

    def run(db: Postgres | Sqlite) -> None:
        report("empty", measure(db, args, empty=True))
        if args.rows:
            db.truncate()
            for _ in range(args.rows // BATCH):
                db.bulk(uuid.uuid4, BATCH)
            db.finish_all()  # a big table is mostly finished jobs
            report(f"{args.rows:,} jobs", measure(db, args, empty=False))

    if args.backend == "postgres":
        with migrated_schema(args.postgres_url, "jobdock_idbench") as url:
            run(Postgres(url))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(Sqlite(Path(tmp) / "jobdock.db"))


if __name__ == "__main__":
    sys.exit(main())

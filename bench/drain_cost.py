"""Benchmark: what the count triggers and extra list indexes cost the W1 drain.

    PYTHONPATH=bench .venv/bin/python bench/drain_cost.py --backend postgres --rounds 3

One schema (or SQLite file), one session: the variants take turns round after round
(A B C A B C ...), each a full W1 drain (bulk enqueue of --n jobs, then ONE worker
process at concurrency 10, drain jobs/s = n / (last end - first start)), so that load
on the machine falls on all of them alike. Prints each run and the medians.

Variants are applied to the migrated schema between drains: the count triggers of
migration 0005 disabled (Postgres) or dropped (SQLite) for ``bare``; the list indexes
of migration 0006 dropped or created (Postgres) for the index variants.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from jobdock_bench.target import Spec, Target
from jobdock_bench.variants import COUNT_TRIGGERS, INDEXES, VARIANTS
from jobdock_bench.workloads import Params, _drain

import jobdock.store.sqlite as sqlite_pkg


def sqlite_triggers() -> list[str]:
    sql = (Path(sqlite_pkg.__file__).parent / "migrations" / "0005_job_counts.sql").read_text()
    return re.findall(r"CREATE TRIGGER .*?\nEND;", sql, flags=re.S)


def apply_variant(t: Target, counts: bool, indexes: tuple[str, ...]) -> None:
    statements: list[str] = []
    # the list indexes are Postgres's (SQLite's background_jobs_updated_idx is its own)
    existing = t.existing_indexes() if t.backend == "postgres" else set()  # type: ignore[attr-defined]
    for name, create in INDEXES.items() if t.backend == "postgres" else ():
        index = f"background_jobs_{name}_idx"
        if name in indexes and index not in existing:
            statements.append(create)
        elif name not in indexes and index in existing:
            statements.append(f"DROP INDEX {index}")
    if t.backend == "postgres":
        verb = "ENABLE" if counts else "DISABLE"
        statements += [f"ALTER TABLE background_jobs {verb} TRIGGER {name}"
                       for name in COUNT_TRIGGERS]
    else:
        statements += [f"DROP TRIGGER IF EXISTS {name}" for name in COUNT_TRIGGERS]
        if counts:
            statements += sqlite_triggers()
    t.run_sql(statements)  # type: ignore[attr-defined]


class VariantTarget(Target):
    def run_sql(self, statements: list[str]) -> None:
        if self.backend == "postgres":
            self.admin.execute(f"SET search_path = {self.schema}")
            for s in statements:
                self.admin.execute(s)
            return
        conn = sqlite3.connect(self.workdir / "bench.db", timeout=30, isolation_level=None)
        try:
            for s in statements:
                conn.execute(s)
        finally:
            conn.close()

    def existing_indexes(self) -> set[str]:
        if self.backend == "postgres":
            rows = self.admin.execute(
                "SELECT indexname FROM pg_indexes WHERE schemaname = %s", (self.schema,))
            return {r[0] for r in rows.fetchall()}
        conn = sqlite3.connect(self.workdir / "bench.db", timeout=30)
        try:
            return {r[1] for r in conn.execute("PRAGMA index_list(background_jobs)")}
        finally:
            conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="postgres", choices=("postgres", "sqlite"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args()
    names = [v for v in args.variants.split(",") if v]
    params = Params(n=args.n)
    t = VariantTarget(args.backend)
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in names}
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load "
          f"{os.getloadavg()}; {args.backend}, n={args.n}, {args.rounds} rounds")
    t.setup()
    try:
        for r in range(args.rounds):
            for v in names:
                counts, indexes = VARIANTS[v]
                apply_variant(t, counts, indexes)
                now = time.time()
                res = _drain(t, "w1", [Spec("noop", i, now) for i in range(args.n)], params)
                results[v].append(res)
                print(f"round {r + 1} {v:<26} drain {res.get('drain_per_s', 0):8,.0f} jobs/s"
                      f"  bulk enqueue {res['enqueue_per_s']:8,.0f} jobs/s"
                      f"  completed {res['completed']}  load {os.getloadavg()[0]:.1f}",
                      flush=True)
    finally:
        t.teardown()
    print(f"\n{'variant':<28} {'drain median':>13} {'runs':>30} {'enqueue median':>15}")
    base = statistics.median(r.get("drain_per_s", 0) for r in results[names[0]])
    for v in names:
        drains = [r.get("drain_per_s", 0) for r in results[v]]
        enq = [r["enqueue_per_s"] for r in results[v]]
        med = statistics.median(drains)
        print(f"{v:<26} {med:13,.0f} {' / '.join(f'{d:,.0f}' for d in drains):>30} "
              f"{statistics.median(enq):15,.0f}   {med / base:.2f}x of {names[0]}")
    print(f"# end load {os.getloadavg()}")


if __name__ == "__main__":
    main()

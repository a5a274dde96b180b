"""EXPLAIN (ANALYZE, BUFFERS) of the job list's queries as the store runs them (the named
queries of store/postgres/queries.sql, with the parameters the web UI's filters give),
against a table seeded by bench/web_list.py.

    .venv/bin/python bench/explain_job_list.py --schema bench_web_1000000 > out.txt

Opening the dock first applies pending migrations (as the web app would).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

import psycopg

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.store.queries import load_queries

BASE = "postgresql://postgres@127.0.0.1:5432/test"


def list_params(**given: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"statuses": None, "status": None, "job_type": None,
                              "stage": None, "user_id": None, "text": None, "after_ts": None,
                              "after_id": None, "limit": 51}
    params.update(given)
    return params


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("counts (all jobs)", "job_counts_all", {}),
    ("counts of one user", "job_counts", {"user_id": "user-7"}),
    ("first page", "job_list_by_created", list_params()),
    ("by user", "job_list_by_created", list_params(user_id="user-7")),
    ("by type", "job_list_by_created", list_params(job_type="staged_sleep")),
    ("by type and user", "job_list_by_created", list_params(job_type="noop", user_id="user-8")),
    ("status failed", "job_list_by_created", list_params(status="failed")),
    ("status pending", "job_list_by_created", list_params(status="pending")),
    ("status processing", "job_list_by_created", list_params(status="processing")),
    ("status paused", "job_list_by_created", list_params(status="paused")),
    ("status completed", "job_list_by_created", list_params(status="completed")),
    ("sort=updated", "job_list_by_updated", list_params()),
    ("sort=updated, status failed", "job_list_by_updated", list_params(status="failed")),
]


async def migrate(url: str) -> None:
    dock = await Dock.open(Settings(database_url=url))
    await dock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schema", default="bench_web_1000000")
    parser.add_argument("--database-url", default=BASE)
    args = parser.parse_args()
    url = f"{args.database_url}?options=-csearch_path%3D{args.schema}"
    asyncio.run(migrate(url))
    queries = load_queries("postgres")
    with psycopg.connect(url, autocommit=True) as conn:
        total = conn.execute("SELECT count(*) FROM background_jobs").fetchone()
        print(f"# EXPLAIN (ANALYZE, BUFFERS) of the job list queries, {total[0]:,} jobs "
              f"(schema {args.schema}), {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}"
              f", load {os.getloadavg()}")
        print("# Each query is the store's named query with the web filter's parameters;")
        print("# several statuses (the 'Active' type filter) run one such query per status.")
        for label, name, params in CASES:
            sql = queries[name]
            # as the store runs it: two indexed filters get list_planner first
            ordered = name.startswith("job_list_by_") and sum(
                params.get(k) is not None for k in ("status", "statuses", "job_type",
                                                    "user_id")) >= 2
            with conn.transaction():
                if ordered:
                    conn.execute(queries["list_planner"])
                conn.execute(sql, params)  # warm: the plan, not the cold cache, is the point
                plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                lines = [line for (line,) in plan.fetchall()]
            print(f"\n## {label}: {name} {({k: v for k, v in params.items() if v})}"
                  + (" (after list_planner)" if ordered else ""))
            print("\n".join(lines))


if __name__ == "__main__":
    main()

"""What a different table shape would save the drain (issue 13): the server's CPU per job
for the shipped table against a prototype "hot queue + history" shape (Postgres).

    .venv/bin/python bench/queue_shape_cost.py --rounds 5 --n 3000

shipped: ``background_jobs`` as migrated (11 indexes, count and notify triggers); insert
with ``job_insert_many``, then claim 10 / complete 10 (``job_claim``,
``job_complete_many``) until the queue is empty, the worker's session settings on.

hot+history (a prototype, not a design): pending and running jobs in a narrow table with
two partial indexes; a completion moves the row to a history table shaped like
``background_jobs`` (its list indexes, the count trigger on insert). Claim: the same
statement on the narrow table. Complete: one ``DELETE … RETURNING`` into ``INSERT``.

Variants run in turns in one session; CPU from ``/proc/<backend pid>/schedstat``, so the
script must run on the database's machine. Prints µs per job, medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
from hotpath_cost import backend_cpu_ns, migrated_schema
from hotpath_cost import drain as drain_shipped
from hotpath_cost import insert as insert_shipped

from jobdock.store.queries import load_queries

BASE = "postgresql://postgres@127.0.0.1:5432/test"
PROTOTYPE = """
CREATE TABLE hot_queue (
    id uuid PRIMARY KEY, job_type text NOT NULL, priority int NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL, run_at timestamptz NOT NULL, status text NOT NULL,
    worker_id text, heartbeat_at timestamptz, started_at timestamptz,
    input_data jsonb NOT NULL, max_retries int NOT NULL, queue text NOT NULL DEFAULT 'default');
CREATE INDEX hot_queue_claim ON hot_queue (priority DESC, created_at, id)
    WHERE status = 'pending';
CREATE INDEX hot_queue_active ON hot_queue (heartbeat_at) WHERE status = 'processing';
CREATE TABLE job_history (LIKE background_jobs INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE job_history ADD PRIMARY KEY (id);
CREATE INDEX ON job_history (created_at DESC, id DESC);
CREATE INDEX ON job_history (status, created_at DESC, id DESC);
CREATE INDEX ON job_history (job_type, created_at DESC, id DESC);
CREATE INDEX ON job_history (updated_at DESC, id DESC);
CREATE INDEX ON job_history (user_id, created_at DESC, id DESC) WHERE user_id IS NOT NULL;
CREATE TRIGGER job_history_count AFTER INSERT ON job_history
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION jobdock_count_inserted();
"""
HOT_INSERT = """
INSERT INTO hot_queue (id, job_type, created_at, run_at, status, input_data, max_retries)
SELECT r.id, r.job_type, %(now)s, %(now)s, 'pending', r.input_data, r.max_retries
FROM jsonb_to_recordset(%(rows)s::jsonb) AS r(id uuid, job_type text, input_data jsonb,
                                                max_retries int)"""
HOT_CLAIM = """
WITH next AS (
    SELECT id FROM hot_queue WHERE status = 'pending' AND run_at <= %(now)s
    ORDER BY priority DESC, created_at, id LIMIT 10 FOR UPDATE SKIP LOCKED)
UPDATE hot_queue j SET status = 'processing', worker_id = 'w', heartbeat_at = %(now)s,
    started_at = COALESCE(j.started_at, %(now)s)
FROM next WHERE j.id = next.id RETURNING j.*"""
HOT_COMPLETE = """
WITH done AS (
    DELETE FROM hot_queue WHERE id = ANY(%(ids)s::uuid[]) AND status = 'processing'
      AND worker_id = 'w' RETURNING *)
INSERT INTO job_history (id, job_type, status, input_data, output_data, metadata, progress,
    max_retries, priority, run_at, created_at, updated_at, started_at, completed_at,
    worker_id, queue)
SELECT id, job_type, 'completed', input_data, NULL, '{}', '{}', max_retries, priority,
    run_at, created_at, %(now)s, started_at, %(now)s, worker_id, queue FROM done"""


def insert_hot(conn: psycopg.Connection[Any], n: int) -> None:
    for start in range(0, n, 1000):
        rows = [{"id": str(uuid.uuid4()), "job_type": "bench_noop", "input_data": {"i": i},
                 "max_retries": 3} for i in range(start, min(start + 1000, n))]
        conn.execute(HOT_INSERT, {"rows": json.dumps(rows), "now": datetime.now(UTC)})


def drain_hot(conn: psycopg.Connection[Any]) -> int:
    done = 0
    while True:
        now = datetime.now(UTC)
        claimed = [r[0] for r in conn.execute(HOT_CLAIM, {"now": now}, prepare=True)]
        if not claimed:
            return done
        conn.execute(HOT_COMPLETE, {"ids": claimed, "now": now}, prepare=True)
        done += len(claimed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--database-url", default=BASE)
    args = parser.parse_args()
    q = load_queries("postgres")
    with migrated_schema(args.database_url, "shape") as url:
        cpu: dict[str, dict[str, list[float]]] = {
            v: {"insert": [], "claim+complete": []} for v in ("shipped", "hot+history")}
        print(f"# {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, load "
              f"{os.getloadavg()}; n={args.n}, {args.rounds} rounds")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(PROTOTYPE)
            for setting in ("planner_ordered_claim", "relaxed_commit"):
                conn.execute(q[setting])
            cpu_ns = backend_cpu_ns(conn)
            for r in range(args.rounds):
                for variant in cpu:
                    conn.execute("TRUNCATE background_jobs, hot_queue, job_history")
                    conn.execute("VACUUM ANALYZE background_jobs")
                    conn.execute("VACUUM ANALYZE hot_queue")
                    c0 = cpu_ns()
                    if variant == "shipped":
                        insert_shipped(conn, q, args.n)
                    else:
                        insert_hot(conn, args.n)
                    c1 = cpu_ns()
                    done = drain_shipped(conn, q) if variant == "shipped" else drain_hot(conn)
                    c2 = cpu_ns()
                    assert done == args.n, (variant, done)
                    cpu[variant]["insert"].append((c1 - c0) / args.n / 1e3)
                    cpu[variant]["claim+complete"].append((c2 - c1) / args.n / 1e3)
                    print(f"round {r + 1} {variant:<12} server CPU µs/job: insert "
                          f"{cpu[variant]['insert'][-1]:5.1f}  claim+complete "
                          f"{cpu[variant]['claim+complete'][-1]:6.1f}  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
        print(f"\n{'shape':<14}{'insert µs/job':>14}{'claim+complete µs/job':>24}")
        for variant, figures in cpu.items():
            print(f"{variant:<14}{statistics.median(figures['insert']):14.1f}"
                  f"{statistics.median(figures['claim+complete']):24.1f}")


if __name__ == "__main__":
    main()

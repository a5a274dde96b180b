"""Drain-rate figures on the multi-host rig: how fast 1, 2, 4, 8 worker processes spread
over four worker hosts empty a queue, and where the CPU goes (Postgres, workers, object
store). Run it with ``python -m tests.multihost.scaling`` (root; see ``--help``).

Each configuration starts its workers idle, waits until each has announced itself, submits
the jobs in one bulk insert and times until all are completed (polled every 50 ms). CPU
seconds per host come from ``/proc/<pid>/stat`` of every process in the host's namespace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings
from tests.multihost.observe import Observer
from tests.multihost.rig import Rig, wait_for

TICKS = os.sysconf("SC_CLK_TCK")
WORKLOADS = {
    "noop": ("noop", {}),
    # three stages of two steps, no sleep: a checkpoint per stage and a cursor per step,
    # each a PUT to the object store and two or three statements in Postgres
    "staged": ("rig_staged", {"stages": 3, "steps": 2, "step_seconds": 0}),
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / TICKS


def host_cpu(rig: Rig) -> dict[str, float]:
    """CPU seconds so far of Postgres, SeaweedFS, the S3 proxy and the workers."""
    groups = dict.fromkeys(("postgres", "seaweedfs", "s3_proxy", "workers"), 0.0)
    for name, host in rig.net.hosts.items():
        for pid in host.pids():
            if name == "pg":
                key = "postgres"
            elif name == "s3":
                key = "seaweedfs" if _comm(pid) == "weed" else "s3_proxy"
            elif name[0] == "w" and name[1:].isdigit():
                key = "workers"
            else:
                continue
            groups[key] += cpu_seconds(pid)
    return groups


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


async def drain(rig: Rig, dock: Dock, observer: Observer, workload: str, n_jobs: int,
                processes: int, concurrency: int, database_url: str | None) -> dict[str, Any]:
    job_type, params = WORKLOADS[workload]
    hosts = rig.worker_hosts
    procs = []
    for i in range(processes):
        host = hosts[i % len(hosts)]
        extra = ("--database-url", database_url) if database_url else ()
        procs.append(rig.start_worker(host, "--concurrency", str(concurrency), index=i,
                                      global_args=extra))
    logs = [rig.root / f"worker-{hosts[i % len(hosts)].name}-{i}.log" for i in range(processes)]
    wait_for(lambda: all("started" in p.read_text() for p in logs if p.exists()) and
             all(p.exists() for p in logs), 60, "the workers to start")
    before_cpu, before_done = host_cpu(rig), observer.counts()["completed"]
    before_db = db_activity(observer)
    await dock.admin.submit_many([NewJob(job_type, {"seed": i, **params})
                                  for i in range(n_jobs)])
    start = time.monotonic()
    while observer.counts()["completed"] < before_done + n_jobs:
        if time.monotonic() - start > 600:
            raise TimeoutError(f"{workload} x{processes}: drain took over 600 s")
        await asyncio.sleep(0.05)
    seconds = time.monotonic() - start
    after_cpu, after_db = host_cpu(rig), db_activity(observer)
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=60)
    for log in logs:
        log.unlink()
    await dock.admin.clear_completed_jobs()
    cpu = {k: round((after_cpu[k] - before_cpu[k]) / n_jobs * 1000, 2) for k in after_cpu}
    per_job = {k: round((after_db[k] - before_db[k]) / n_jobs, 1) for k in after_db}
    return {"seconds": seconds, "jobs_per_s": n_jobs / seconds, "cpu_s_per_1000_jobs": cpu,
            "postgres_per_job": per_job}


def db_activity(observer: Observer) -> dict[str, float]:
    """Commits, WAL bytes and table bytes of the rig's database so far."""
    row = observer.conn.execute(
        "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),"
        " pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0'),"
        " pg_total_relation_size('background_jobs') + "
        " pg_total_relation_size('background_job_files')").fetchone()
    assert row is not None
    return {"commits": float(row[0]), "wal_bytes": float(row[1]), "table_bytes": float(row[2])}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="jobdock-scaling-"))
    rig = Rig(root, workers=4, pg_settings=tuple(args.pg_setting)).up()
    results: dict[str, Any] = {"repeats": args.repeats, "concurrency": args.concurrency,
                               "jobs": {"noop": args.noop_jobs, "staged": args.staged_jobs},
                               "via": f"pgbouncer ({args.pgbouncer} pooling)"
                               if args.pgbouncer else "postgres",
                               "rows": []}
    try:
        database_url = rig.start_pgbouncer(pool_size=args.pool_size,
                                           pool_mode=args.pgbouncer) if args.pgbouncer else None
        dock = await Dock.open(Settings(database_url=rig.database_url(inside=False),
                                        storage_url=rig.storage_url(inside=False),
                                        imports=["tests.multihost.jobtypes"]))
        observer = Observer(rig.database_url(inside=False))
        for workload in args.workloads:
            n_jobs = args.noop_jobs if workload == "noop" else args.staged_jobs
            for processes in args.processes:
                runs = [await drain(rig, dock, observer, workload, n_jobs, processes,
                                    args.concurrency, database_url)
                        for _ in range(args.repeats)]
                rates = [r["jobs_per_s"] for r in runs]
                row = {"workload": workload, "processes": processes,
                       "median_jobs_per_s": round(statistics.median(rates), 1),
                       "min": round(min(rates), 1), "max": round(max(rates), 1),
                       "cpu_s_per_1000_jobs": runs[len(runs) // 2]["cpu_s_per_1000_jobs"],
                       "postgres_per_job": runs[len(runs) // 2].get("postgres_per_job")}
                results["rows"].append(row)
                print(json.dumps(row), flush=True)
        observer.close()
        await dock.close()
    finally:
        rig.down()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workloads", nargs="+", default=["noop", "staged"])
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2, 4, 8])
    parser.add_argument("--noop-jobs", type=int, default=2000)
    parser.add_argument("--staged-jobs", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pgbouncer", choices=["session", "transaction"],
                        help="workers reach Postgres through PgBouncer in this pool mode")
    parser.add_argument("--pool-size", type=int, default=100,
                        help="PgBouncer's server connections per database")
    parser.add_argument("--pg-setting", action="append", default=[])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results = asyncio.run(run(args))
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

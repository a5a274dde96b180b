"""detect_connections end to end: one new 150-chunk document against a stored library.

    .venv/bin/python bench/connections_e2e.py                       # SQLite, 10k..100k
    .venv/bin/python bench/connections_e2e.py --sizes 100000 --runs 3
    .venv/bin/python bench/connections_e2e.py --database-url postgresql://postgres@127.0.0.1:5432/test

For each size a child process fills a fresh database (documents of 150 chunks with
enrichments and 384-d vectors shaped like bench/connections_bench.py's) and a second,
fresh child runs one detect_connections job through a burst worker, so its peak memory
(ru_maxrss) is the job's plus the interpreter's. Reported (medians of --runs): the wall
time of the burst worker that runs the job, the job's own elapsedSeconds, the CPU seconds
the child spent on it (user + system, all threads) and the child's peak RSS. Print
`uptime` beside the figures: on a shared machine wall time follows the load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from connections_bench import CHUNKS_PER_DOC, NEW_CHUNKS, _library

USER = "bench"


async def fill(url: str, storage: str, n: int) -> None:
    from jobdock.app import Dock
    from jobdock.library.connections.concepts import Concept
    from jobdock.library.connections.domains import DomainLabel
    from jobdock.library.connections.enrich import Enrichment
    from jobdock.library.connections.store import ConnectionStore
    from jobdock.library.store.repository import DocumentStore
    from jobdock.settings import Settings

    dock = await Dock.open(Settings(database_url=url, storage_url=storage))
    docs, links = DocumentStore(dock.store), ConnectionStore(dock.store)
    records = _library(n)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    by_doc: dict[str, list] = {}
    for r in records:
        by_doc.setdefault(r.document_id, []).append(r)
    for d, (doc_id, rows) in enumerate(by_doc.items()):
        now = base + timedelta(seconds=d)
        await docs.document_insert(user_id=USER, title=doc_id, source_type="text",
                                   filename=None, storage_path=f"x/{doc_id}", now=now,
                                   document_id=doc_id)
        await docs.chunk_replace(doc_id, [
            {"id": r.chunk_id, "chunk_index": i, "content": f"passage {r.chunk_id}",
             "start_offset": 0, "end_offset": 0} for i, r in enumerate(rows)], now)
        await docs.document_set_status(doc_id, "completed", now, None)
        await links.enrichment_replace(doc_id, [
            (r.chunk_id, Enrichment([Concept(k, k, 1.0) for k in r.concept_texts],
                                    r.importance, r.polarity, DomainLabel(r.domain, 1.0),
                                    vocabulary=list(r.concepts[len(r.concept_texts):])),
             np.asarray(r.embedding, dtype=np.float32)) for r in rows])
    await dock.close()


async def detect(url: str, storage: str) -> dict[str, float]:
    from jobdock.app import Dock
    from jobdock.jobs.model import NewJob
    from jobdock.settings import Settings
    from jobdock.worker import WorkerSettings

    dock = await Dock.open(Settings(database_url=url, storage_url=storage))
    try:
        job = await dock.admin.submit(NewJob("detect_connections", {"document_id": "new"},
                                             user_id=USER, entity_type="document",
                                             entity_id="new"))
        began, cpu = time.perf_counter(), _cpu()
        await dock.worker(WorkerSettings(burst=True, concurrency=1, poll_interval=0.01)).run()
        wall, cpu = time.perf_counter() - began, _cpu() - cpu
        done = await dock.admin.get_job(job.id)
        assert done.status.value == "completed", done.error_message
        await dock.store.execute("DELETE FROM connections", {})
        out = done.output_data
        return {"wall_s": wall, "cpu_s": cpu, "job_s": float(out["elapsedSeconds"]),
                "found": float(out["connections"]),
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        await dock.close()


def _cpu() -> float:
    """This process's CPU seconds (all threads): on a shared, oversubscribed machine the
    wall time says more about the neighbours than about the job."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(*args: str) -> str:
    return subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                          text=True).stdout


def _pg_schema_url(base: str) -> str:
    import psycopg

    schema = f"bench_conn_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,25000,50000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--fill", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--detect", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(args.fill[0], args.fill[1], int(args.fill[2])))
        return
    if args.detect:
        print(json.dumps(asyncio.run(detect(*args.detect))))
        return
    print(f"{'library':>8} {'fill s':>7} {'job wall s':>11} {'job s':>7} {'cpu s':>6} "
          f"{'peak MiB':>9} {'found':>6}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            url = _pg_schema_url(args.database_url) if args.database_url \
                else f"sqlite:///{tmp}/db.sqlite"
            began = time.perf_counter()
            _child("--fill", url, f"{tmp}/storage", str(size))
            filled = time.perf_counter() - began
            runs = [json.loads(_child("--detect", url, f"{tmp}/storage"))
                    for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{size:>8} {filled:>7.1f} {med['wall_s']:>11.2f} {med['job_s']:>7.2f} "
              f"{med['cpu_s']:>6.2f} {med['peak_rss_mib']:>9.0f} {med['found']:>6.0f}",
              flush=True)
    _ = NEW_CHUNKS, CHUNKS_PER_DOC


if __name__ == "__main__":
    main()

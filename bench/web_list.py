"""Benchmark: server time of the job list with many jobs in the table.

    .venv/bin/python bench/web_list.py [--database-url URL] [--jobs 100000]

Seeds (once) through ``AdminService.submit_many`` in batches, then times the rendered
jobs page, the table partial and the API, unfiltered and filtered, in-process (ASGI).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings
from jobdock.store import JobFilter
from jobdock.web.app import create_app

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_web"
BATCH = 5_000
RUNS = 30
TYPES = ("noop", "staged_sleep")


def new_jobs(start: int, count: int) -> list[NewJob]:
    return [NewJob(job_type=TYPES[i % 2], user_id=f"user-{i % 50}", entity_type="document",
                   entity_id=f"doc-{i}", input_data={"n": i}, metadata={"title": f"Doc {i}"})
            for i in range(start, start + count)]


async def seed(dock: Dock, total: int) -> None:
    have = sum((await dock.admin.counts()).values())
    for start in range(have, total, BATCH):
        await dock.admin.submit_many(new_jobs(start, min(BATCH, total - start)))
    if have < total:
        some = await dock.admin.list_jobs(JobFilter(job_type="noop", limit=300))
        for job in some:
            await dock.admin.force_fail_job(job.id, message="benchmark failure")
        # statistics as autovacuum would have them on a table at rest (right after the
        # seed the planner still believes the table nearly empty)
        await dock.store.execute("ANALYZE background_jobs", {})
    print(f"{sum((await dock.admin.counts()).values()):,} jobs in the table")


async def timed(client: httpx.AsyncClient, url: str) -> tuple[float, float, int]:
    samples = []
    for _ in range(RUNS):
        began = time.perf_counter()
        response = await client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[:200])
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(response.text)


async def main(url: str, total: int) -> None:
    if url.startswith("postgresql") and "search_path%3D" in url:
        ensure_schema(url)
    dock = await Dock.open(Settings(database_url=url))
    try:
        await seed(dock, total)
        app = create_app(dock)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = (await client.get("/api/jobs?limit=50")).json()
            cursor = page["next_cursor"]
            print(f"{'request':<58} {'median ms':>10} {'p95 ms':>8}")
            for label, target in requests(cursor):
                median, p95, _ = await timed(client, target)
                print(f"{label + ' ' + target:<58.58} {median:>10.1f} {p95:>8.1f}")
    finally:
        await dock.close()


def requests(cursor: str) -> list[tuple[str, str]]:
    return [("page", "/jobs"), ("table", "/partials/jobs"),
            ("table", "/partials/jobs?type=staged_sleep"),
            ("table", "/partials/jobs?user=user-7"),
            ("table", "/partials/jobs?status=failed"),
            ("table", "/partials/jobs?type=active"),
            ("table", "/partials/jobs?sort=updated"),
            ("table", f"/partials/jobs?after={cursor}"),
            ("page", "/jobs?type=noop&user=user-8"),
            ("api", "/api/jobs?status=pending&limit=50"),
            ("dock", "/partials/dock"), ("counts", "/partials/counts")]


def ensure_schema(url: str) -> None:
    import psycopg

    base, _, options = url.partition("?")
    schema = options.split("search_path%3D", 1)[1].split("&")[0]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def parse_args(argv: list[str] | None = None) -> Any:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--jobs", type=int, default=100_000)
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    asyncio.run(main(args.database_url, args.jobs))

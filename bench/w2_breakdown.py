"""Where W2's enqueue-to-start time goes (issue 13), Postgres.

    .venv/bin/python bench/w2_breakdown.py [--jobs 300] [--rate 50]

Starts one worker as the CLI does (``jobdock worker``, its own process) with a probe
module that timestamps what the worker hears and does, submits ``--jobs`` jobs at
``--rate`` per second through ``AsyncClient.submit`` (timed), and prints p50/p90 of each
segment: the enqueue call, NOTIFY heard, claim sent, claim answered, handler started.
A schema of its own in ``--postgres-url``, dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def segments(events: list[list[str]], calls: list[float]) -> dict[str, list[float]]:
    starts = {int(e[2]): (float(e[1]), float(e[3])) for e in events if e[0] == "start"}
    claims = {int(e[3]): (float(e[1]), float(e[2])) for e in events if e[0] == "claim"}
    heard = sorted(float(e[1]) for e in events if e[0] == "notify")
    out: dict[str, list[float]] = {k: [] for k in (
        "total", "enqueue call", "heard after the call", "heard -> claim sent",
        "claim round trip", "claim answered -> start")}
    for i, (started, enqueued) in starts.items():
        k = bisect.bisect_left(heard, enqueued)
        if i not in claims or k == len(heard):
            continue
        sent, answered = claims[i]
        out["total"].append((started - enqueued) * 1000)
        out["enqueue call"].append(calls[i])
        out["heard after the call"].append((heard[k] - enqueued) * 1000 - calls[i])
        out["heard -> claim sent"].append((sent - heard[k]) * 1000)
        out["claim round trip"].append((answered - sent) * 1000)
        out["claim answered -> start"].append((started - answered) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    schema = f"w2_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in args.postgres_url else "?"
    url = f"{args.postgres_url}{sep}options=" + quote(f"-c search_path={schema}")
    with psycopg.connect(args.postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    tmp = Path(tempfile.mkdtemp())
    out = tmp / "events.txt"
    os.environ["W2_PROBE_OUT"] = str(out)
    import jobdock_bench.w2_probe  # noqa: F401  (the job type, in the driver too)

    from jobdock.client import AsyncClient

    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(AsyncClient.connect(url, str(tmp / "s"),
                                                         ["jobdock_bench.w2_probe"]))
    worker = subprocess.Popen(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url", url, "--storage-url",
         str(tmp / "s"), "--import", "jobdock_bench.w2_probe", "worker", "--log-level",
         "warning"], env={**os.environ, "PYTHONPATH": str(HERE)})
    calls: list[float] = []
    try:
        deadline = time.monotonic() + 30
        while not out.exists() or "start" not in out.read_text():  # worker up: one job ran
            loop.run_until_complete(client.submit("w2_probe", {"i": -1, "t": time.time()}))
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.2)
        out.write_text("")
        began = time.perf_counter()
        for i in range(args.jobs):
            delay = began + i / args.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            t, a = time.time(), time.perf_counter()
            loop.run_until_complete(client.submit("w2_probe", {"i": i, "t": t}))
            calls.append((time.perf_counter() - a) * 1000)
        deadline = time.monotonic() + 30
        while out.read_text().count("start ") < args.jobs and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(30)
        loop.run_until_complete(client.close())
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
    events = [line.split() for line in out.read_text().splitlines() if line.strip()]
    for name, values in segments(events, calls).items():
        values.sort()
        print(f"{name:26} p50 {statistics.median(values):6.2f} ms   "
              f"p90 {values[int(len(values) * 0.9)]:6.2f} ms   n={len(values)}")


if __name__ == "__main__":
    main()

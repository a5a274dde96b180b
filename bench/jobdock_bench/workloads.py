"""W1 throughput, W2 latency, W3 steps: the peer harness's workloads, step for step.

Same definitions as ``../shared/bench/peers/peerbench/workloads.py``:

- W1: time ``single_n`` one-call enqueues; truncate; enqueue ``n`` jobs with the bulk
  API in batches of ``batch_size``; start ONE worker process and drain.
  drain jobs/s = n / (last job end - first job start) (worker start-up excluded).
- W2: start the worker, 5 warm-up jobs, 1 s idle, then ``rate`` single enqueues per
  second for ``duration`` s from one paced loop; latency = job start - ``time.time()``
  taken just before its enqueue call.
- W3: ``w3_jobs`` jobs of 8 stages, once without and once with a progress call per
  stage, each on fresh state; overhead per step = drain-time difference / (jobs x 8).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobdock_bench.jobs import STEPS
from jobdock_bench.target import Spec, Target, WorkerDied, WorkerProcess, load_average

Event = tuple[int, float, float, float, float]


@dataclass
class Params:
    n: int = 5000
    single_n: int = 1000
    batch_size: int = 1000
    rate: float = 50.0
    duration: float = 10.0
    w3_jobs: int = 500
    drain_timeout: float = 240.0


class SinkReader:
    """Counts the complete lines jobs appended to a sink file, reading only what is new."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.lines = 0

    def count(self) -> int:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return 0
        end = chunk.rfind(b"\n") + 1
        self.lines += chunk.count(b"\n", 0, end)
        self.offset += end
        return self.lines


def read_events(path: Path) -> list[Event]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        i, t_enq, t0, t1, step_s = line.split()
        events.append((int(i), float(t_enq), float(t0), float(t1), float(step_s)))
    return events


def wait_drained(t: Target, worker: WorkerProcess, sink: SinkReader, n: int, timeout: float,
                 settle_timeout: float = 15.0) -> bool:
    """Wait until n jobs reported to the sink and nothing is queued or running."""
    deadline = time.monotonic() + timeout
    while sink.count() < n:
        if time.monotonic() > deadline:
            return False
        if not worker.alive():
            raise WorkerDied(f"worker exited with {worker.proc.returncode}; "
                             f"see {worker.log_path}")
        time.sleep(0.02)
    settle = time.monotonic() + settle_timeout
    while time.monotonic() < settle and t.outstanding():
        time.sleep(0.05)
    return True


def _chunks(seq: Sequence[Spec], size: int) -> Iterator[Sequence[Spec]]:
    for k in range(0, len(seq), size):
        yield seq[k:k + size]


def _sink(t: Target, phase: str) -> Path:
    path = t.workdir / f"{phase}.events"
    path.unlink(missing_ok=True)
    return path


def _first_line(worker: WorkerProcess, reader: SinkReader, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while reader.count() == 0:
        if time.monotonic() > deadline or not worker.alive():
            return False
        time.sleep(0.002)
    return True


def _cpu_per_1000(before: dict[str, float], after: dict[str, float],
                  jobs: int) -> dict[str, Any]:
    """CPU seconds per 1000 jobs of the worker process and of its Postgres backends."""
    if jobs <= 0 or "worker" not in after:
        return {}
    worker = after["worker"] - before.get("worker", 0.0)
    pg = sum(v - before.get(k, 0.0) for k, v in after.items() if k.startswith("pg:"))
    return {"cpu_jobs": jobs, "worker_cpu_s_per_1000": worker / jobs * 1000,
            "pg_cpu_s_per_1000": pg / jobs * 1000,
            "pg_backends": sum(1 for k in after if k.startswith("pg:"))}


def _drain(t: Target, phase: str, jobs: list[Spec], p: Params) -> dict[str, Any]:
    """reset, bulk-enqueue ``jobs`` (timed), start ONE worker, wait for all, stop it."""
    t.reset()
    t0 = time.perf_counter()
    for chunk in _chunks(jobs, p.batch_size):
        t.enqueue(chunk, batch=True)
    enq_s = time.perf_counter() - t0
    path = _sink(t, phase)
    load_before = load_average()
    worker = t.start_worker(path)
    reader = SinkReader(path)
    cpu: dict[str, Any] = {}
    try:
        # CPU is counted from the first job on (the worker's start-up excluded)
        first = _first_line(worker, reader, p.drain_timeout)
        before, counted_from = t.cpu_snapshot(worker), reader.count() if first else 0
        done = wait_drained(t, worker, reader, len(jobs), p.drain_timeout)
        after = t.cpu_snapshot(worker)
        cpu = _cpu_per_1000(before, after, len(jobs) - counted_from)
    finally:
        worker.stop()
    ev = read_events(path)
    out: dict[str, Any] = {
        "jobs": len(jobs), "completed": len(ev), "duplicates": len(ev) - len({e[0] for e in ev}),
        "timed_out": not done, "enqueue_s": enq_s, "enqueue_per_s": len(jobs) / enq_s,
        "load_before": load_before, "load_after": load_average(), **cpu}
    if ev:
        first = min(e[2] for e in ev)
        last = max(e[3] for e in ev)
        span = max(last - first, 1e-9)
        out.update(drain_s=span, drain_per_s=len(ev) / span,
                   worker_start_to_first_job_s=first - worker.started,
                   step_call_s_total=sum(e[4] for e in ev))
    return out


def w1_throughput(t: Target, p: Params) -> dict[str, Any]:
    t.reset()
    singles = [Spec("noop", i, 0.0) for i in range(p.single_n)]
    t0 = time.perf_counter()
    t.enqueue(singles, batch=False)
    single_s = time.perf_counter() - t0
    now = time.time()
    res = _drain(t, "w1", [Spec("noop", i, now) for i in range(p.n)], p)
    res["single_enqueue_per_s"] = p.single_n / single_s
    res["bulk_enqueue_per_s"] = res.pop("enqueue_per_s")
    return res


def pct(sorted_vals: list[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, round(q / 100 * len(sorted_vals) + 0.5) - 1))
    return sorted_vals[k]


def w2_latency(t: Target, p: Params) -> dict[str, Any]:
    t.reset()
    path = _sink(t, "w2")
    reader = SinkReader(path)
    worker = t.start_worker(path)
    total = int(p.rate * p.duration)
    enqueue_call_ms: list[float] = []
    try:
        warm = 5
        for k in range(warm):
            t.enqueue([Spec("noop", -1 - k, time.time())], batch=False)
        if not wait_drained(t, worker, reader, warm, 90.0, settle_timeout=5.0):
            return {"error": "worker did not finish the warm-up jobs within 90 s"}
        time.sleep(1.0)
        start = time.perf_counter()
        for k in range(total):
            delay = start + k / p.rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            a = time.perf_counter()
            t.enqueue([Spec("noop", k, time.time())], batch=False)
            enqueue_call_ms.append((time.perf_counter() - a) * 1000)
        paced_s = time.perf_counter() - start
        done = wait_drained(t, worker, reader, warm + total, 30.0, settle_timeout=5.0)
    finally:
        worker.stop()
    ev = [e for e in read_events(path) if e[0] >= 0]
    lat = sorted((e[2] - e[1]) * 1000 for e in ev)
    enqueue_call_ms.sort()
    return {
        "jobs": total, "completed": len(ev), "duplicates": len(ev) - len({e[0] for e in ev}),
        "timed_out": not done, "achieved_rate": total / paced_s,
        "p50_ms": pct(lat, 50), "p95_ms": pct(lat, 95), "p99_ms": pct(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "mean_ms": statistics.fmean(lat) if lat else float("nan"),
        "enqueue_call_p50_ms": pct(enqueue_call_ms, 50),
    }


def w3_steps(t: Target, p: Params) -> dict[str, Any]:
    now = time.time()
    base = _drain(t, "w3-base", [Spec("pipeline", i, now, False) for i in range(p.w3_jobs)], p)
    steps = _drain(t, "w3-steps", [Spec("pipeline", i, now, True) for i in range(p.w3_jobs)], p)
    res: dict[str, Any] = {"progress_api": "JobContext.update_progress", "steps_per_job": STEPS,
                           "base": base, "steps": steps}
    if "drain_s" in base and "drain_s" in steps and steps["completed"] == p.w3_jobs:
        n_steps = p.w3_jobs * STEPS
        res["jobs_per_s"] = steps["drain_per_s"]
        res["base_jobs_per_s"] = base["drain_per_s"]
        res["step_overhead_us"] = (steps["drain_s"] - base["drain_s"]) / n_steps * 1e6
        res["step_call_us"] = steps["step_call_s_total"] / n_steps * 1e6
    return res


WORKLOADS: dict[str, Callable[[Target, Params], dict[str, Any]]] = {
    "w1": w1_throughput, "w2": w2_latency, "w3": w3_steps}

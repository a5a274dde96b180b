"""Prometheus metrics, read from the database at each scrape (so every worker's work
counts, whichever process serves /metrics): jobs per type and status, retries, rescues,
run time and claim latency histograms, live workers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from jobdock.app import Dock

CONTENT_TYPE = CONTENT_TYPE_LATEST
BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
          900.0, 3600.0)
LIVE_WORKER = timedelta(seconds=60)


class _Snapshot:
    """Collector over rows fetched just before rendering (collect() is synchronous)."""

    def __init__(self, jobs: list[dict[str, Any]], durations: list[dict[str, Any]],
                 workers: int) -> None:
        self.jobs, self.durations, self.workers = jobs, durations, workers

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily("jobdock_jobs", "Jobs in the table per type and status",
                                 labels=["job_type", "status"])
        retries = CounterMetricFamily("jobdock_job_retries", "Job-level retries taken",
                                      labels=["job_type"])
        rescues = CounterMetricFamily("jobdock_job_rescues",
                                      "Jobs handed back after their worker died",
                                      labels=["job_type"])
        finished = CounterMetricFamily("jobdock_jobs_finished",
                                       "Jobs completed or failed (rows in the table)",
                                       labels=["job_type", "status"])
        per_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in self.jobs:
            jobs.add_metric([r["job_type"], r["status"]], int(r["n"]))
            per_type[r["job_type"]][0] += int(r["retries"])
            per_type[r["job_type"]][1] += int(r["rescues"])
            if r["status"] in ("completed", "failed"):
                finished.add_metric([r["job_type"], r["status"]], int(r["n"]))
        for job_type, (n_retries, n_rescues) in sorted(per_type.items()):
            retries.add_metric([job_type], n_retries)
            rescues.add_metric([job_type], n_rescues)
        yield from (jobs, finished, retries, rescues)
        yield from self._histograms()
        yield GaugeMetricFamily("jobdock_workers", "Live workers", value=self.workers)

    def _histograms(self) -> Iterator[Metric]:
        names = {"run": ("jobdock_job_run_seconds", "Run time of finished jobs"),
                 "wait": ("jobdock_claim_latency_seconds",
                          "Time from due (run_at) to claimed, of finished jobs")}
        grouped: dict[tuple[str, str], dict[int, tuple[int, float]]] = defaultdict(dict)
        for r in self.durations:
            grouped[(r["metric"], r["job_type"])][int(r["bucket"])] = (int(r["n"]),
                                                                       float(r["total"]))
        for metric, (name, doc) in names.items():
            family = HistogramMetricFamily(name, doc, labels=["job_type"])
            for (kind, job_type), buckets in sorted(grouped.items()):
                if kind != metric:
                    continue
                cumulative, rows = 0, []
                for i, bound in enumerate(BOUNDS):
                    cumulative += buckets.get(i, (0, 0.0))[0]
                    rows.append((repr(bound), cumulative))
                total = sum(n for n, _ in buckets.values())
                rows.append(("+Inf", total))
                family.add_metric([job_type], rows, sum(s for _, s in buckets.values()))
            yield family


async def render_metrics(dock: Dock) -> bytes:
    store = dock.store
    jobs = await store.metrics_jobs()
    durations = await store.metrics_durations(BOUNDS)
    workers = await store.worker_list(dock.clock.now() - LIVE_WORKER)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(jobs, durations, len(workers)))
    data: bytes = generate_latest(registry)
    return data

"""Observability: /metrics parses and matches the table after a run; JSON log lines carry
the job's id, type and stage; OpenTelemetry spans per job and stage."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.jobs.observe import JsonLogFormatter
from jobdock.jobs.registry import Registry
from jobdock.settings import Settings
from jobdock.web.app import create_app
from jobdock.worker import WorkerSettings

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
FAST = dict(sync_interval=0.01, poll_interval=0.02, heartbeat_interval=0.05)


def _registry() -> Registry:
    registry = Registry()
    log = logging.getLogger("jobdock.test.observed")

    def observed(ctx):  # type: ignore[no-untyped-def]
        ctx.run_stage("fetch", lambda: log.info("fetching") or 1)
        ctx.run_stage("store", lambda: log.info("storing") or 2)
        if ctx.input.get("fail"):
            raise ValueError("told to fail")
        return {"ok": True}

    registry.job_type("observed", stages=["fetch", "store"], max_retries=0)(observed)
    return registry


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace._TRACER_PROVIDER = None  # type: ignore[attr-defined]  # let this test set one
    trace._TRACER_PROVIDER_SET_ONCE._done = False  # type: ignore[attr-defined]
    trace.set_tracer_provider(provider)
    yield exporter
    provider.shutdown()


async def _metrics(dock: Dock) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    app = create_app(dock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/plain")
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return samples


async def test_metrics_parse_and_match_the_table_and_logs_and_spans_name_the_job(
        settings: Settings, spans: InMemorySpanExporter) -> None:
    dock = await Dock.open(settings, registry=_registry())
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logging.getLogger("jobdock").addHandler(handler)
    logging.getLogger("jobdock").setLevel(logging.INFO)
    try:
        for i in range(5):
            await dock.admin.submit(NewJob("observed", {"fail": i == 4}))
        await dock.admin.submit(NewJob("observed", run_at=dock.clock.now().replace(year=2099)))
        worker = dock.worker(WorkerSettings(**FAST, burst=True, maintenance=False))
        await asyncio.wait_for(worker.run(), 60)
        samples = await _metrics(dock)
    finally:
        logging.getLogger("jobdock").removeHandler(handler)
        await dock.close()
    counts = {(labels[0][1], labels[1][1]): v for labels, v in samples["jobdock_jobs"].items()}
    assert counts == {("observed", "completed"): 4, ("observed", "failed"): 1,
                      ("observed", "pending"): 1}
    finished = samples["jobdock_jobs_finished_total"]
    assert finished[(("job_type", "observed"), ("status", "completed"))] == 4
    run_count = samples["jobdock_job_run_seconds_count"][(("job_type", "observed"),)]
    infinite = samples["jobdock_job_run_seconds_bucket"][(("job_type", "observed"),
                                                          ("le", "+Inf"))]
    assert run_count == infinite == 5
    assert samples["jobdock_claim_latency_seconds_count"][(("job_type", "observed"),)] == 5
    assert samples["jobdock_job_retries_total"][(("job_type", "observed"),)] == 0
    assert samples["jobdock_workers"][()] == 0  # the burst worker removed itself

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    staged = [line for line in lines if line["message"] in ("fetching", "storing")]
    assert len(staged) == 10
    assert all(line["job_type"] == "observed" and line["job_id"] for line in staged)
    assert {line["stage"] for line in staged} == {"fetch", "store"}
    failed = [line for line in lines if "failed" in line["message"]]
    assert failed and "stage" not in failed[0] and failed[0]["job_type"] == "observed"

    finished_spans = spans.get_finished_spans()
    jobs = [s for s in finished_spans if s.name == "job observed"]
    stages = [s for s in finished_spans if s.name.startswith("stage ")]
    assert len(jobs) == 5 and len(stages) == 10
    job_span_ids = {s.context.span_id for s in jobs}
    assert all(s.parent is not None and s.parent.span_id in job_span_ids for s in stages)

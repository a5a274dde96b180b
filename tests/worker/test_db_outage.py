"""A worker and the API ride out a Postgres restart (issue 12, defect 1).

The server is a private one this module starts on its own port: restarting it touches
nobody else's tests.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings
from jobdock.store import StoreUnavailable
from jobdock.worker import WorkerSettings
from tests.support.engine import FAST, running, wait_for
from tests.support.pgserver import PrivatePostgres, fresh_database, private_postgres_fixture

private_pg = private_postgres_fixture()
pytestmark = pytest.mark.postgres

SLEEP = {"stages": 4, "steps_per_stage": 5, "step_seconds": 0.02}


@pytest.fixture
async def outage_dock(private_pg: PrivatePostgres, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(database_url=fresh_database(private_pg),
                        storage_url=str(tmp_path / "storage"), home=tmp_path / "home")
    dock = await Dock.open(settings)
    try:
        yield dock
    finally:
        await dock.close()


async def _restart(server: PrivatePostgres, down_seconds: float = 0.5) -> None:
    await asyncio.to_thread(server.stop, "immediate")
    await asyncio.sleep(down_seconds)  # the outage itself, not a synchronisation
    await asyncio.to_thread(server.start)


async def test_worker_rides_out_a_postgres_restart_without_spending_retries(
        outage_dock: Dock, private_pg: PrivatePostgres,
        caplog: pytest.LogCaptureFixture) -> None:
    dock = outage_dock
    ids = [(await dock.admin.submit(NewJob("staged_sleep", input_data=SLEEP))).id
           for _ in range(12)]
    # A crash of Postgres may lose the worker's last relaxed commits (a completion): that
    # job is rescued once its heartbeat expires, so keep the timeout short here.
    worker = dock.worker(WorkerSettings(concurrency=4, heartbeat_timeout=3.0,
                                        **FAST))  # type: ignore[arg-type]
    caplog.set_level(logging.WARNING, "jobdock")
    async with running(worker):
        task = next(t for t in asyncio.all_tasks() if "Worker.run" in repr(t.get_coro()))

        async def some_running() -> bool:
            return (await dock.store.job_counts())["processing"] > 0
        await wait_for(some_running, 30, "jobs to start")
        await _restart(private_pg, down_seconds=1.0)
        assert not task.done(), "the worker exited during the outage"

        async def all_done() -> bool:
            try:
                return (await dock.store.job_counts())["completed"] == len(ids)
            except StoreUnavailable:
                return False
        await wait_for(all_done, 60, "every job to complete after the restart")
        assert not task.done()
    for job_id in ids:
        job = await dock.store.job_get(job_id)
        assert job is not None and job.status is JobStatus.COMPLETED
        assert job.retry_count == 0, "an outage spent a job's retry"
        assert job.output_data["digest"] == expected_digest(4, 5)
    outage_logs = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(outage_logs) <= 1, "an outage is logged once, not once per attempt"
    worker_warnings = [r for r in caplog.records if r.name == "jobdock.worker"]
    assert len(worker_warnings) <= 4, [r.getMessage() for r in worker_warnings]


async def test_api_answers_503_while_down_and_recovers_without_stale_connections(
        outage_dock: Dock, private_pg: PrivatePostgres) -> None:
    from jobdock.web.app import create_app

    app = create_app(outage_dock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for _ in range(4):  # fill the pool with connections that the restart will kill
            assert (await client.get("/api/jobs")).status_code == 200
        await asyncio.to_thread(private_pg.stop, "immediate")
        try:
            down = await client.get("/api/jobs")
            assert down.status_code == 503, down.text
            assert "database" in down.json()["detail"].lower()
        finally:
            await asyncio.to_thread(private_pg.start)
        answers = [(await client.get("/api/jobs")).status_code for _ in range(8)]
        assert answers == [200] * 8



async def test_serve_in_process_worker_keeps_working_after_a_restart(
        outage_dock: Dock, private_pg: PrivatePostgres) -> None:
    from jobdock.web.app import create_app

    settings = WorkerSettings(heartbeat_timeout=3.0, **FAST)  # type: ignore[arg-type]
    app = create_app(outage_dock, run_worker=True, worker_settings=settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1") as client:
        first = (await client.post("/api/jobs", json={"job_type": "staged_sleep",
                                                      "input_data": SLEEP})).json()
        await _restart(private_pg, down_seconds=1.0)

        async def submitted() -> bool:
            answer = await client.post("/api/jobs", json={"job_type": "staged_sleep",
                                                          "input_data": SLEEP})
            if answer.status_code == 201:
                ids.append(answer.json()["id"])
            return len(ids) > 1
        ids: list[str] = [first["id"]]
        await wait_for(submitted, 30, "the API to accept a job after the restart")

        async def all_completed() -> bool:
            for job_id in ids:
                answer = await client.get(f"/api/jobs/{job_id}")
                if answer.status_code != 200 or answer.json()["status"] != "completed":
                    return False
            return True
        await wait_for(all_completed, 30, "the in-process worker to finish both jobs")

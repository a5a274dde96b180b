"""Schedules, workers, limits and bulk actions through the API and the pages."""

from __future__ import annotations

import uuid

import httpx
import pytest

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.worker import WorkerSettings
from tests.support.web import submit

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_a_schedule_added_by_api_is_listed_with_its_next_run_and_can_be_paused(
        client: httpx.AsyncClient) -> None:
    response = await client.post("/api/schedules", json={
        "name": "readwise-u1", "job_type": "noop", "every_seconds": 21600, "user_id": "u1"})
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["next_run_at"] and created["paused_at"] is None
    [listed] = (await client.get("/api/schedules")).json()
    assert listed["name"] == "readwise-u1" and listed["interval_seconds"] == 21600
    page = (await client.get("/schedules")).text
    assert "readwise-u1" in page and "every 6h" in page
    paused = await client.post("/api/schedules/readwise-u1/pause")
    assert paused.json()["paused_at"] is not None
    form = await client.post("/schedules/readwise-u1/resume")
    assert form.status_code == 303
    assert (await client.get("/api/schedules")).json()[0]["paused_at"] is None
    assert (await client.post("/api/schedules/nope/pause")).status_code == 404
    bad = await client.post("/api/schedules", json={"name": "x", "job_type": "noop",
                                                    "cron": "every day"})
    assert bad.status_code == 422 and "cron" in bad.json()["detail"]


async def test_workers_page_lists_a_live_worker_and_the_limits(
        client: httpx.AsyncClient, web_dock: Dock) -> None:
    worker = web_dock.worker(WorkerSettings(concurrency=3, queues=("docs", "default")))
    await worker.heartbeat_once()
    assert (await client.put("/api/limits", json={"kind": "type", "name": "noop",
                                                  "max_running": 2})).status_code == 200
    [row] = (await client.get("/api/workers")).json()
    assert (row["id"], row["concurrency"], row["queues"]) == (worker.worker_id, 3,
                                                             ["docs", "default"])
    page = (await client.get("/workers")).text
    assert worker.worker_id in page and "docs, default" in page and "noop" in page


async def test_bulk_action_by_filter_pauses_every_matching_job_and_skips_the_rest(
        client: httpx.AsyncClient) -> None:
    ids = [(await submit(client, "noop", user_id="bulk"))["id"] for _ in range(7)]
    other = (await submit(client, "noop", user_id="someone-else"))["id"]
    result = (await client.post("/api/jobs/bulk", json={"action": "pause",
                                                        "user_id": "bulk"})).json()
    assert (result["matched"], result["done"], result["skipped"]) == (7, 7, 0)
    again = (await client.post("/api/jobs/bulk", json={"action": "pause",
                                                       "user_id": "bulk"})).json()
    assert again["matched"] == 0  # paused jobs are not in a status pause applies to
    retried = (await client.post("/api/jobs/bulk", json={"action": "retry", "user_id": "bulk",
                                                         "status": ["paused"]})).json()
    assert retried["matched"] == 0  # retry never applies to paused jobs
    form = await client.post("/jobs/bulk", data={"action": "resume", "user": "bulk"})
    assert form.status_code == 303
    for job_id in ids:
        assert (await client.get(f"/api/jobs/{job_id}")).json()["status"] == "pending"
    assert (await client.get(f"/api/jobs/{other}")).json()["status"] == "pending"
    assert "bulk-apply" in (await client.get("/jobs")).text


async def test_a_job_page_shows_its_queue_unique_key_and_what_it_waits_for(
        client: httpx.AsyncClient, web_dock: Dock) -> None:
    parent = await submit(client, "noop")
    child = await submit(client, "noop")
    waiting = await web_dock.admin.submit(NewJob(
        "noop", queue="imports", unique_key="u-1",
        after=(uuid.UUID(parent["id"]), uuid.UUID(child["id"]))))
    page = (await client.get(f"/jobs/{waiting.id}")).text
    assert "imports" in page and "u-1" in page
    assert parent["id"][-8:] in page and "2 not completed yet" in page


async def test_the_jobs_table_tells_jobs_submitted_together_apart(
        client: httpx.AsyncClient) -> None:
    # their ids share the first 8 digits (the time); the table shows the random end
    ids = [(await submit(client, "noop"))["id"] for _ in range(3)]
    table = (await client.get("/partials/jobs")).text
    assert all(f">{i[-8:]}<" in table or f">{i[-8:]} " in table for i in ids), table
    crumbs = (await client.get(f"/jobs/{ids[0]}")).text
    assert f'<span class="mono">{ids[0][-8:]}</span>' in crumbs

"""The JSON API: every endpoint, bad input (422), unknown ids (404), illegal transitions (409)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from jobdock.app import Dock
from tests.support.web import submit

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_submit_then_get_returns_the_design_field_names(client: httpx.AsyncClient) -> None:
    job = await submit(client, "staged_sleep", input_data={"stages": 2}, user_id="u1",
                       entity_type="document", entity_id="d1", metadata={"title": "Book"})
    assert job["status"] == "pending" and job["input_data"] == {"stages": 2}
    got = (await client.get(f"/api/jobs/{job['id']}")).json()
    for field in ("id", "user_id", "job_type", "entity_type", "entity_id", "status", "progress",
                  "retry_count", "max_retries", "next_retry_at", "paused_at", "resume_count",
                  "last_checkpoint_path", "checkpoint_hash", "created_at", "updated_at"):
        assert field in got
    assert got["id"] == job["id"] and got["user_id"] == "u1"


@pytest.mark.parametrize("body, fragment", [
    ({"job_type": "no_such_type"}, "unknown job type"),
    ({"job_type": "noop", "input_data": [1, 2]}, "input_data"),
    ({"job_type": "noop", "max_retries": 101}, "max_retries"),
    ({"job_type": "noop", "surprise": 1}, "surprise"),
    ({"job_type": "noop", "input_data": {"x": "a\u0000b"}}, "NUL"),
    ({"input_data": {}}, "job_type"),
])
async def test_submit_refuses_bad_input_with_422(client: httpx.AsyncClient, body: dict[str, object],
                                                 fragment: str) -> None:
    response = await client.post("/api/jobs", json=body)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


async def test_submit_refuses_malformed_json_with_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/jobs", content=b'{"job_type": "noop",',
                                 headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


async def test_unknown_id_is_404_and_malformed_id_is_422(client: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    assert (await client.get(f"/api/jobs/{missing}")).status_code == 404
    for verb in ("pause", "resume", "retry", "fail", "cancel"):
        response = await client.post(f"/api/jobs/{missing}/{verb}")
        assert response.status_code == 404, verb
        assert str(missing) in response.json()["detail"]
        assert (await client.post(f"/api/jobs/not-a-uuid/{verb}")).status_code == 422
    assert (await client.get("/api/jobs/not-a-uuid")).status_code == 422


async def test_actions_follow_the_transition_table(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client, "staged_sleep"))["id"]

    async def act(verb: str) -> httpx.Response:
        return await client.post(f"/api/jobs/{job_id}/{verb}")

    assert (await act("resume")).status_code == 409  # pending cannot resume
    assert (await act("retry")).status_code == 409
    paused = await act("pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    conflict = await act("pause")
    assert conflict.status_code == 409 and "paused" in conflict.json()["detail"]
    resumed = (await act("resume")).json()
    assert resumed["status"] == "pending" and resumed["resume_count"] == 1
    assert (await act("fail")).json()["status"] == "failed"
    assert (await act("fail")).status_code == 409
    assert (await act("retry")).json()["status"] == "pending"
    cancelled = (await act("cancel")).json()
    assert cancelled["deleted"] is True
    assert (await client.get(f"/api/jobs/{job_id}")).status_code == 404


async def test_list_filters_and_keyset_pages(client: httpx.AsyncClient) -> None:
    ids = [(await submit(client, "noop", user_id="ann"))["id"] for _ in range(5)]
    sleepy = [(await submit(client, "staged_sleep", user_id="bob",
                            entity_id=f"doc-{i}"))["id"] for i in range(3)]
    await client.post(f"/api/jobs/{sleepy[0]}/pause")

    async def listed(**params: str) -> list[str]:
        response = await client.get("/api/jobs", params=params)
        assert response.status_code == 200, response.text
        return [j["id"] for j in response.json()["jobs"]]

    assert set(await listed(type="noop")) == set(ids)
    assert set(await listed(user="bob")) == set(sleepy)
    assert await listed(status="paused") == [sleepy[0]]
    assert set(await listed(type="active")) == set(ids + sleepy)
    assert await listed(q="doc-2") == [sleepy[2]]
    assert len(await listed(sort="updated")) == 8

    seen: list[str] = []
    cursor = ""
    while True:
        page = (await client.get("/api/jobs", params={"limit": 3, "after": cursor})).json()
        seen += [j["id"] for j in page["jobs"]]
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert len(seen) == 8 and set(seen) == set(ids + sleepy)


@pytest.mark.parametrize("params", [{"status": "bogus"}, {"after": "not-a-cursor"},
                                    {"limit": "0"}, {"limit": "9999"}, {"sort": "name"},
                                    {"q": "a\u0000b"}])
async def test_list_refuses_bad_parameters_with_422(client: httpx.AsyncClient,
                                                    params: dict[str, str]) -> None:
    response = await client.get("/api/jobs", params=params)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


async def test_clear_deletes_completed_or_failed_jobs(client: httpx.AsyncClient) -> None:
    failed = [(await submit(client))["id"] for _ in range(2)]
    keep = (await submit(client))["id"]
    for job_id in failed:
        await client.post(f"/api/jobs/{job_id}/fail")
    response = await client.post("/api/jobs/clear", params={"status": "failed"})
    assert response.json() == {"status": "failed", "cleared": 2}
    assert (await client.post("/api/jobs/clear?status=completed")).json()["cleared"] == 0
    assert (await client.get(f"/api/jobs/{keep}")).status_code == 200
    assert (await client.post("/api/jobs/clear?status=pending")).status_code == 422
    assert (await client.post("/api/jobs/clear")).status_code == 422


async def test_counts_and_job_types(client: httpx.AsyncClient, web_dock: Dock) -> None:
    await submit(client)
    counts = (await client.get("/api/counts")).json()
    assert counts["pending"] == 1 and set(counts) >= {"processing", "paused", "failed"}
    types = {t["name"]: t for t in (await client.get("/api/job-types")).json()}
    assert set(types) == set(web_dock.registry.names())
    assert types["staged_sleep"]["label"] == web_dock.registry.get("staged_sleep").label


async def test_cross_origin_posts_are_refused(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    evil = await client.post(f"/api/jobs/{job_id}/pause",
                             headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    fetch = await client.post(f"/api/jobs/{job_id}/pause", headers={"Sec-Fetch-Site": "cross-site"})
    assert fetch.status_code == 403
    same = await client.post(f"/api/jobs/{job_id}/pause", headers={"Origin": "http://testserver"})
    assert same.status_code == 200


async def test_openapi_documents_the_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    paths = set(spec["paths"])
    assert {"/api/jobs", "/api/jobs/{job_id}", "/api/jobs/clear", "/api/counts",
            "/api/job-types"} <= paths
    for verb in ("pause", "resume", "retry", "fail", "cancel"):
        assert f"/api/jobs/{{job_id}}/{verb}" in paths
    assert not any(p.startswith(("/partials", "/events", "/login")) for p in paths)

"""The Library pages and the connections JSON API, in-process, on both stores."""

from __future__ import annotations

import httpx

from jobdock.app import Dock
from tests.library.connections.stored import completed, run_job, store_corpus

WAGE = "wage-raise-helps"


async def _detected(dock: Dock) -> None:
    await store_corpus(dock)
    for doc in ("wage-raise-helps", "wage-raise-hurts"):
        completed(await run_job(dock, "detect_connections", {}, doc))


async def test_api_lists_ranks_and_reviews(web_dock: Dock, client: httpx.AsyncClient) -> None:
    await _detected(web_dock)
    url = f"/api/library/documents/{WAGE}/connections"
    balanced = (await client.get(url)).json()["connections"]
    # balanced already puts the contradictions first; thematic-focus (0.15 for both
    # engines here) puts similarity first
    friction = (await client.get(url, params={"preset": "thematic-focus"})).json()[
        "connections"]
    semantic_only = (await client.get(url, params={"preset": "semantic-only"})).json()
    assert [c["id"] for c in balanced] != [c["id"] for c in friction]
    assert {c["engine"] for c in semantic_only["connections"]} == {"semantic_similarity"}
    assert sorted(c["id"] for c in balanced) == sorted(c["id"] for c in friction)
    # both directions, each pair once, always seen from this document
    assert all(c["passage"]["chunk_id"].startswith(WAGE) for c in balanced)
    pairs = [(frozenset((c["source_chunk_id"], c["target_chunk_id"])), c["engine"])
             for c in balanced]
    assert len(pairs) == len(set(pairs))
    first = balanced[0]
    assert first["other"]["title"] and first["other"]["text"] and first["explanation"]

    reviewed = await client.post(f"/api/library/connections/{first['id']}/review",
                                 json={"value": True})
    assert reviewed.status_code == 200 and reviewed.json()["user_validated"] is True
    again = (await client.get(url, params={"engine": first["engine"]})).json()["connections"]
    assert next(c for c in again if c["id"] == first["id"])["user_validated"] is True
    assert (await client.post(f"/api/library/connections/{first['id']}/review",
                              json={"value": "yes"})).status_code == 422
    assert (await client.post("/api/library/connections/nope/review",
                              json={"value": False})).status_code == 404
    assert (await client.get(url, params={"preset": "chaos"})).status_code == 422
    assert (await client.get("/api/library/documents/nope/connections")).status_code == 404


async def test_api_starts_jobs(web_dock: Dock, client: httpx.AsyncClient) -> None:
    await store_corpus(web_dock, ["sourdough"])
    detect = await client.post("/api/library/documents/sourdough/connections/detect",
                               json={"engines": ["semantic_similarity"]})
    assert detect.status_code == 201
    assert detect.json()["job"]["job_type"] == "detect_connections"
    assert detect.json()["job"]["input_data"]["engines"] == ["semantic_similarity"]
    redo = await client.post("/api/library/documents/sourdough/connections/reprocess",
                             json={"mode": "all"})
    assert redo.status_code == 201 and redo.json()["job"]["input_data"]["mode"] == "all"
    bad = await client.post("/api/library/documents/sourdough/connections/reprocess",
                            json={"mode": "some"})
    assert bad.status_code == 422


async def test_pages_show_documents_text_and_connections(
        web_dock: Dock, client: httpx.AsyncClient) -> None:
    await _detected(web_dock)
    listing = (await client.get("/library")).text
    assert f'href="/library/documents/{WAGE}"' in listing and "sourdough" in listing
    page = (await client.get(f"/library/documents/{WAGE}")).text
    assert "A higher minimum wage is good for employment." in page  # the text, readable
    assert 'id="engine-contradiction_detection"' in page
    assert "with opposing stances" in page
    assert 'href="/library/documents/wage-raise-hurts#chunk-0"' in page
    quiet = (await client.get("/library/documents/sourdough")).text
    assert 'id="no-connections"' in quiet
    form = await client.post(f"/library/connections/{_first_id(page)}/review",
                             data={"value": "false", "back": f"/library/documents/{WAGE}"})
    assert form.status_code == 303 and form.headers["location"] == f"/library/documents/{WAGE}"
    assert "rejected" in (await client.get(f"/library/documents/{WAGE}")).text
    evil = await client.post(f"/library/connections/{_first_id(page)}/review",
                             data={"value": "", "back": "https://example.org/"})
    assert evil.headers["location"] == "/library"


def _first_id(html: str) -> str:
    marker = 'data-connection-id="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


async def test_export_with_connections_from_the_api_and_the_library_page(
        web_dock: Dock, client: httpx.AsyncClient) -> None:
    await _detected(web_dock)
    started = await client.post("/api/documents/export", json={
        "document_ids": [WAGE, "wage-raise-hurts"], "user_id": "ann",
        "includeConnections": True})
    assert started.status_code == 201, started.text
    job = started.json()["job"]
    assert job["job_type"] == "export_documents"
    assert job["input_data"] == {"document_ids": [WAGE, "wage-raise-hurts"],
                                 "includeConnections": True}
    plain = await client.post("/api/documents/export",
                              json={"document_ids": [WAGE], "user_id": "ann"})
    assert plain.status_code == 201 and "includeConnections" not in \
        plain.json()["job"]["input_data"]
    assert (await client.post("/api/documents/export", json={
        "document_ids": [WAGE], "user_id": "bob"})).status_code == 422  # not bob's
    assert (await client.post("/api/documents/export",
                              json={"document_ids": []})).status_code == 422

    page = (await client.get("/library")).text
    assert 'id="export-form"' in page and 'name="include_connections"' in page
    assert f'name="document_id" value="{WAGE}"' in page
    form = await client.post("/library/export", data={
        "document_id": [WAGE, "wage-raise-hurts"], "include_connections": "on"})
    assert form.status_code == 303
    made = await web_dock.admin.get_job(form.headers["location"].rsplit("/", 1)[1])
    assert made.job_type == "export_documents" and made.user_id == "ann"
    assert made.input_data == {"document_ids": [WAGE, "wage-raise-hurts"],
                               "includeConnections": True}
    without = await client.post("/library/export", data={"document_id": [WAGE]})
    made = await web_dock.admin.get_job(without.headers["location"].rsplit("/", 1)[1])
    assert made.input_data == {"document_ids": [WAGE]}
    assert (await client.post("/library/export", data={})).status_code == 422

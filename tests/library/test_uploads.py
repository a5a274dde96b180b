"""Uploading a document from the page and the API starts process_document."""

from __future__ import annotations

import httpx
import pytest

from jobdock.app import Dock

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
NOTE = b"# Notes\n\nA first paragraph about staged work.\n\n## Later\n\nMore text here.\n"


async def test_api_upload_stores_the_file_and_starts_processing(
        client: httpx.AsyncClient, web_dock: Dock) -> None:
    answer = await client.post("/api/documents", files={"file": ("notes.md", NOTE)},
                               data={"user_id": "ann"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["job"]["job_type"] == "process_document"
    assert body["job"]["entity_id"] == body["document"]["id"]
    assert body["document"]["user_id"] == "ann" and body["document"]["title"] == "notes"
    assert web_dock.storage.get(body["document"]["storage_path"]) == NOTE


async def test_page_upload_redirects_to_the_job(client: httpx.AsyncClient) -> None:
    answer = await client.post("/documents", files={"file": ("notes.md", NOTE)},
                               headers={"Origin": "http://testserver"})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/jobs/")
    page = await client.get("/submit")
    assert 'id="upload-form"' in page.text and 'enctype="multipart/form-data"' in page.text


@pytest.mark.parametrize("files,data,needle", [
    ({"file": ("empty.md", b"")}, {}, "empty"),
    ({"file": ("notes.md", NOTE)}, {"embedder": "gpt"}, "unknown embedder"),
])
async def test_bad_uploads_are_refused_with_422(client: httpx.AsyncClient, files, data,  # type: ignore[no-untyped-def]
                                                needle) -> None:
    answer = await client.post("/api/documents", files=files, data=data)
    assert answer.status_code == 422 and needle in answer.json()["detail"]


async def test_user_ids_that_cannot_be_a_storage_path_are_refused(
        client: httpx.AsyncClient) -> None:
    for user_id in ("../etc", "a/b", "x\x11y", " "):
        answer = await client.post("/api/documents", files={"file": ("n.md", NOTE)},
                                   data={"user_id": user_id})
        assert answer.status_code == 422 and "user id" in answer.json()["detail"], user_id


async def test_api_lists_and_shows_documents(client: httpx.AsyncClient) -> None:
    ids = {}
    for user in ("ann", "bob"):
        answer = await client.post("/api/documents", files={"file": (f"{user}.md", NOTE)},
                                   data={"user_id": user})
        ids[user] = answer.json()["document"]["id"]
    everyone = (await client.get("/api/documents")).json()["documents"]
    assert [d["id"] for d in everyone] == [ids["bob"], ids["ann"]]  # newest first
    anns = (await client.get("/api/documents", params={"user_id": "ann"})).json()["documents"]
    assert [d["title"] for d in anns] == ["ann"]
    shown = await client.get(f"/api/documents/{ids['ann']}")
    assert shown.status_code == 200 and shown.json()["status"] == "pending"
    missing = await client.get("/api/documents/no-such-document")
    assert missing.status_code == 404 and "no document" in missing.json()["detail"]
    assert (await client.get("/api/documents", params={"limit": 0})).status_code == 422

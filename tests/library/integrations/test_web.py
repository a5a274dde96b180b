"""The integrations' JSON API in-process (both stores): settings, annotations, review."""

from __future__ import annotations

from pathlib import Path

import httpx

from jobdock.app import Dock
from jobdock.library.integrations.service import IntegrationService
from jobdock.library.integrations.store import IntegrationStore
from tests.library.integrations.support import PARAGRAPHS, content, processed_document

USER = "local"


async def test_settings_api_validates_and_hides_the_token(client: httpx.AsyncClient,
                                                          tmp_path: Path) -> None:
    bad = await client.put("/api/integrations/settings",
                           json={"vault_path": str(tmp_path / "nope")})
    assert bad.status_code == 422 and "does not exist" in bad.json()["detail"]
    ok = await client.put("/api/integrations/settings",
                          json={"vault_path": str(tmp_path), "readwise_every_hours": 6})
    assert ok.status_code == 200 and ok.json()["vault_path"] == str(tmp_path)
    put = await client.put("/api/integrations/readwise-token", json={"token": "sekrit-42"})
    assert put.status_code == 204
    got = await client.get("/api/integrations/settings")
    assert got.json()["readwise_token_set"] is True and "sekrit-42" not in got.text
    page = await client.get("/integrations")
    assert page.status_code == 200 and "sekrit-42" not in page.text


async def test_annotations_and_review_through_the_api(client: httpx.AsyncClient,
                                                      web_dock: Dock) -> None:
    doc = await processed_document(web_dock, user_id=USER)
    quote = PARAGRAPHS[2][:40]
    added = await client.post(f"/api/documents/{doc['id']}/annotations",
                              json={"quote": quote, "note": "mine", "color": "green"})
    assert added.status_code == 201, added.text
    listed = (await client.get(f"/api/documents/{doc['id']}/annotations")).json()
    assert [a["quote"] for a in listed] == [quote] and listed[0]["source"] == "manual"
    bad = await client.post(f"/api/documents/{doc['id']}/annotations",
                            json={"quote": "not in the text at all"})
    assert bad.status_code == 422

    text = content(web_dock, doc)
    store = IntegrationStore(web_dock.store)
    now = web_dock.admin.clock.now()
    entries = []
    for n in range(2):
        at = text.index(PARAGRAPHS[3 + n])
        entries.append(await store.review_insert({
            "user_id": USER, "document_id": doc["id"], "source": "readwise_export",
            "external_id": f"x{n}", "highlight": {"text": "approx", "note": "hn"},
            "suggested_start": at, "suggested_end": at + 30,
            "suggested_text": text[at:at + 30], "confidence": 0.8}, now))
    accepted = await client.post(f"/api/review/{entries[0]['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["annotation"]["quote"] == text[entries[0]["suggested_start"]:
                                                          entries[0]["suggested_end"]]
    rejected = await client.post(f"/api/review/{entries[1]['id']}/reject")
    assert rejected.json()["review"]["status"] == "rejected"
    twice = await client.post(f"/api/review/{entries[0]['id']}/accept")
    assert twice.status_code == 422 and "already" in twice.json()["detail"]
    assert (await client.get("/api/review")).json() == []
    annotations = await IntegrationService.of(web_dock).annotations(doc["id"], USER)
    assert len(annotations) == 2
    deleted = await client.delete(f"/api/annotations/{listed[0]['id']}")
    assert deleted.status_code == 204
    page = await client.get(f"/library/documents/{doc['id']}/text")
    assert page.status_code == 200 and 'class="hl hl-' in page.text


async def test_pages_list_documents_and_show_a_conflict(client: httpx.AsyncClient,
                                                        web_dock: Dock, tmp_path: Path) -> None:
    from tests.library.integrations.support import run_job

    doc = await processed_document(web_dock, user_id=USER)
    service = IntegrationService.of(web_dock)
    await service.save_settings(USER, {"vault_path": str(tmp_path)})
    out = (await run_job(web_dock, await service.export(USER, doc["id"]))).output_data or {}
    listing = await client.get("/integrations")
    assert doc["title"] in listing.text and out["path"] in listing.text
    note = tmp_path / out["path"]
    note.write_text(note.read_text() + "\nVault edit.\n")
    key = f"documents/{USER}/{doc['id']}/content.md"
    web_dock.storage.put(key, content(web_dock, doc).encode() + b"\nLibrary edit.\n")
    await run_job(web_dock, await service.sync(USER, doc["id"]))
    page = await client.get(f"/library/documents/{doc['id']}/text")
    assert 'id="sync-conflict"' in page.text and 'id="keep-vault"' in page.text
    resolve = await client.post(f"/library/documents/{doc['id']}/obsidian/sync",
                                data={"user_id": USER, "prefer": "library"})
    assert resolve.status_code == 303 and resolve.headers["location"].startswith("/jobs/")

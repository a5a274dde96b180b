"""Issue 14, item 6 on the web: delete a document (API and the Library's form)."""

from __future__ import annotations

import httpx
import pytest

from jobdock.app import Dock
from jobdock.library.service import DocumentService

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_delete_a_document_over_the_api_and_the_form(client: httpx.AsyncClient,
                                                           web_dock: Dock) -> None:
    service = DocumentService.of(web_dock)
    doc, job = await service.add("ann", "notes.md", b"# Notes\n\nSome words.\n")
    busy = await client.delete(f"/api/documents/{doc['id']}")
    assert busy.status_code == 409 and "cancel it first" in busy.json()["detail"]
    await web_dock.admin.cancel_and_delete_job(job.id)
    deleted = await client.delete(f"/api/documents/{doc['id']}")
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert (await client.delete(f"/api/documents/{doc['id']}")).status_code == 404
    other, job = await service.add("ann", "more.md", b"# More\n")
    await web_dock.admin.cancel_and_delete_job(job.id)
    form = await client.post(f"/library/documents/{other['id']}/delete")
    assert form.status_code == 303 and form.headers["location"] == "/library"
    assert await service.list_documents("ann") == []


async def test_library_page_lists_documents_with_a_delete_button(client: httpx.AsyncClient,
                                                                 web_dock: Dock) -> None:
    empty = (await client.get("/library")).text
    assert "No documents yet" in empty and 'href="/library"' in empty  # in the top bar
    doc, _ = await DocumentService.of(web_dock).add("ann", "notes.md", b"# Notes\n\nWords.\n")
    page = (await client.get("/library")).text
    assert f'data-document-id="{doc["id"]}"' in page and "notes" in page
    assert f'action="/library/documents/{doc["id"]}/delete"' in page

"""Uploads jobdock cannot read are refused at once with 415 (issue 12, defect 7), and a
refused upload leaves nothing behind, in storage or in the database."""

from __future__ import annotations

import httpx
import pytest

from jobdock.app import Dock

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def stored(dock: Dock) -> list[str]:
    return dock.storage.list("")


@pytest.mark.parametrize(("name", "data", "says"), [
    ("report.docx", b"PK\x03\x04 word document", "cannot read .docx"),
    ("noextension", b"plain words", "without a suffix"),
    ("fake.pdf", b"<html>not a pdf</html>", "not a PDF"),
    ("fake.epub", b"%PDF-1.4 not an epub", "not a EPUB"),
    ("binary.md", b"\x00\x01\x02\x03" * 100, "binary"),
])
async def test_unsupported_uploads_are_refused_with_415(client: httpx.AsyncClient,
                                                        web_dock: Dock, name: str,
                                                        data: bytes, says: str) -> None:
    answer = await client.post("/api/documents", files={"file": (name, data)})
    assert answer.status_code == 415, answer.text
    assert says in answer.json()["detail"]
    page = await client.post("/documents", files={"file": (name, data)},
                             headers={"Origin": "http://testserver"})
    assert page.status_code == 415
    assert stored(web_dock) == []
    assert (await client.get("/api/counts")).json()["pending"] == 0


async def _rename_documents_table(dock: Dock, old: str, new: str) -> None:
    sql = f"ALTER TABLE {old} RENAME TO {new}"
    if dock.store.dialect == "sqlite":
        await dock.store.conn.execute(sql)  # type: ignore[attr-defined]
    else:
        async with dock.store.pool.connection() as conn:  # type: ignore[attr-defined]
            await conn.execute(sql)


async def test_an_upload_failing_after_its_file_was_stored_removes_the_file(
        client: httpx.AsyncClient, web_dock: Dock) -> None:
    # The state a failing database leaves: the file is stored, then the row cannot be.
    await _rename_documents_table(web_dock, "documents", "documents_away")
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever the database raises
            await client.post("/api/documents", files={"file": ("notes.md", b"# Notes\n")})
    finally:
        await _rename_documents_table(web_dock, "documents_away", "documents")
    assert stored(web_dock) == [], "the refused upload's file stayed in storage"

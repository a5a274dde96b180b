"""Process → export ZIP → import into an empty database as another user → the same chunks."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus
from jobdock.library.handlers.exporter import read_export
from jobdock.library.service import DocumentService
from jobdock.settings import Settings
from tests.support.documents import drain, final_job

COMPARED = ("chunk_index", "content", "start_offset", "end_offset", "heading_path", "embedding")


async def test_export_then_import_into_an_empty_database_keeps_the_chunks(
        dock: Dock, sources, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = []
    for name in ("report.pdf", "notes.md"):
        doc, _ = await DocumentService.of(dock).add("ann", name, sources[name].read_bytes())
        docs.append(doc)
    await drain(dock)
    export = await DocumentService.of(dock).export("ann", [d["id"] for d in docs])
    await drain(dock)
    export = await final_job(dock, export)
    assert export.status is JobStatus.COMPLETED, export.error_message
    key = export.output_data["storage_key"]
    assert key.startswith("ann/exports/export-") and key.endswith(".zip")
    data = dock.storage.get(key)
    assert data is not None and export.output_data["size_bytes"] == len(data)
    assert export.output_data["document_count"] == 2
    names = zipfile.ZipFile(BytesIO(data)).namelist()
    assert "manifest.json" in names and f"{docs[0]['id']}/chunks.json" in names

    other = await Dock.open(Settings(database_url=f"sqlite:///{tmp_path / 'other.db'}",
                                     storage_url=str(tmp_path / "other-storage")))
    try:
        imported = {}
        for old_id, files in read_export(data).items():
            doc, job = await DocumentService.of(other).import_files("bob", files, title=old_id)
            imported[old_id] = (doc, job)
        await drain(other)
        for original in docs:
            doc, job = imported[original["id"]]
            assert (await final_job(other, job)).status is JobStatus.COMPLETED
            before = await DocumentService.of(dock).chunks(original["id"])
            after = await DocumentService.of(other).chunks(doc["id"])
            assert [[c[k] for k in COMPARED] for c in after] == \
                [[c[k] for k in COMPARED] for c in before]
            assert (await DocumentService.of(other).get(doc["id"]))["user_id"] == "bob"
    finally:
        await other.close()

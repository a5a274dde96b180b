"""obsidian_export writes a connections note with [[wikilinks]] when connections exist."""

from __future__ import annotations

from pathlib import Path

from jobdock.app import Dock
from jobdock.library.integrations.service import IntegrationService
from jobdock.library.integrations.store import IntegrationStore
from tests.library.connections.labelled import CORPUS, paragraphs
from tests.library.connections.stored import USER, completed, store_corpus
from tests.library.connections.stored import run_job as run_document_job
from tests.library.integrations.support import finished, run_job

DOC = "wage-raise-helps"


async def test_connections_note_links_the_connected_documents(dock: Dock,
                                                              tmp_path: Path) -> None:
    await store_corpus(dock)
    completed(await run_document_job(dock, "detect_connections", {}, DOC))
    text = "\n\n".join(paragraphs(CORPUS / f"{DOC}.md"))  # as processing leaves content.md
    dock.storage.put(f"documents/{USER}/{DOC}/content.md", text.encode())
    service = IntegrationService.of(dock)
    await service.save_settings(USER, {"vault_path": str(tmp_path)})
    out = finished(await run_job(dock, await service.export(USER, DOC)))
    links = await IntegrationStore(dock.store).connection_links(DOC)
    assert links and out["connections"] == len(links)
    note = (tmp_path / out["connections_path"]).read_text()
    assert note.startswith("# Connections of [[wage raise helps]]")
    for link in links:
        assert f"[[{link['title']}]]" in note
    assert "[[wage raise hurts]] — contradiction detection" in note

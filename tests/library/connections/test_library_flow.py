"""Connections through the rest of the library: enrichment in process_document (which
then queues detect_connections), reprocess for documents enriched before, and export /
import carrying connections.json."""

from __future__ import annotations

import json

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.library.connections.enrich import Enrichment
from jobdock.library.connections.store import ConnectionStore
from jobdock.library.handlers.exporter import read_export
from jobdock.library.service import DocumentService
from tests.library.connections.stored import USER, completed, connection_rows, run_job, store_corpus
from tests.support.documents import drain, final_job

WAGE, OTHER = "wage-raise-helps", "wage-raise-hurts"


async def test_process_document_enriches_its_chunks_and_connects_them(
        dock: Dock, sources) -> None:  # type: ignore[no-untyped-def]
    service = DocumentService.of(dock)
    docs = []
    for name in ("report.pdf", "notes.md"):
        doc, job = await service.add(USER, name, sources[name].read_bytes())
        docs.append((doc, job))
    await drain(dock)
    links = ConnectionStore(dock.store)
    for doc, job in docs:
        done = completed(await final_job(dock, job))
        chunks = await service.chunks(doc["id"])
        enriched = await links.enrichment_for_document(doc["id"])
        assert [e["chunk_id"] for e in enriched] == [c["id"] for c in chunks]
        assert all(e["vector"] and e["concepts"] for e in enriched)
        assert all(0 <= e["importance"] <= 1 and -1 <= e["polarity"] <= 1 for e in enriched)
        if done.output_data["connections_job_id"]:
            detect = await dock.admin.get_job(done.output_data["connections_job_id"])
            assert completed(detect).job_type == "detect_connections"


async def test_reprocess_enriches_a_document_processed_before_enrichment(dock: Dock) -> None:
    await store_corpus(dock)
    await dock.store.execute("DELETE FROM chunk_enrichments WHERE document_id = :d"
                             if dock.store.dialect == "sqlite" else
                             "DELETE FROM chunk_enrichments WHERE document_id = %(d)s",
                             {"d": OTHER})
    job = completed(await run_job(dock, "reprocess_connections", {"mode": "all"}, WAGE))
    assert job.output_data["foundByEngine"]["semantic_similarity"] == 0  # OTHER is unseen
    completed(await run_job(dock, "reprocess_connections", {"mode": "all"}, OTHER))
    assert len(await ConnectionStore(dock.store).enrichment_for_document(OTHER)) == 3
    assert {k[2] for k in await connection_rows(dock)} >= {"semantic_similarity"}


async def test_export_writes_connections_json_and_import_restores_them(dock: Dock) -> None:
    await store_corpus(dock)
    for doc in (WAGE, OTHER):
        completed(await run_job(dock, "detect_connections", {}, doc))
    links = ConnectionStore(dock.store)
    first = sorted(await links.list_for_document(WAGE), key=lambda r: r["id"])[0]
    await links.set_validated(first["id"], True, dock.admin.clock.now())
    before = await connection_rows(dock)

    export = await dock.admin.submit(NewJob(
        "export_documents", {"document_ids": [WAGE, OTHER], "includeConnections": True},
        user_id=USER, entity_type="document", entity_id=WAGE))
    await drain(dock)
    key = completed(await final_job(dock, export)).output_data["storage_key"]
    files = read_export(dock.storage.get(key))
    carried = json.loads(files[WAGE]["connections.json"])
    assert carried["count"] == len(carried["connections"]) > 0
    assert {(c["source_chunk_id"], c["target_chunk_id"]) for c in carried["connections"]} \
        >= {(first["source_chunk_id"], first["target_chunk_id"])}
    plain = await dock.admin.submit(NewJob("export_documents", {"document_ids": [WAGE]},
                                           user_id=USER, entity_type="document",
                                           entity_id=WAGE))
    await drain(dock)
    plain_key = completed(await final_job(dock, plain)).output_data["storage_key"]
    assert "connections.json" not in read_export(dock.storage.get(plain_key))[WAGE]

    # Importing over the document replaces its chunks: their connections go (cascade) and
    # come back from connections.json, review included.
    _, job = await DocumentService.of(dock).import_files(
        USER, files[WAGE], title="again", strategy="replace", document_id=WAGE)
    await drain(dock)
    assert completed(await final_job(dock, job)).output_data["connections_restored"] > 0
    assert await connection_rows(dock) == before
    restored = {r["id"]: r for r in await links.list_for_document(WAGE)}
    assert restored[first["id"]]["user_validated"] is True


async def test_reprocess_brings_an_older_enrichment_up_to_date(dock: Dock) -> None:
    await store_corpus(dock)
    links = ConnectionStore(dock.store)
    chunks = await DocumentService.of(dock).chunks(OTHER)
    current = await links.enrichment_for_document(OTHER)
    assert all(len(e["concept_keys"].split("|")) > 5 for e in current)  # with vocabulary
    # as version 1 stored it: five concepts, no vocabulary
    old = [Enrichment.from_dict({"concepts": e["concepts"], "importance": 0.1,
                                 "polarity": e["polarity"]}) for e in current]
    await links.enrichment_replace(OTHER, [(c["id"], e, c["embedding"])
                                           for c, e in zip(chunks, old, strict=True)])
    assert all(len(e["concept_keys"].split("|")) <= 5
               for e in await links.enrichment_for_document(OTHER))
    completed(await run_job(dock, "reprocess_connections", {"mode": "all"}, OTHER))
    again = await links.enrichment_for_document(OTHER)
    assert [e["concept_keys"] for e in again] == [e["concept_keys"] for e in current]
    assert [e["importance"] for e in again] == [e["importance"] for e in current]

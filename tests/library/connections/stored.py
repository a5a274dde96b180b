"""The labelled corpus stored in a real dock: documents, chunks and enrichments as
process_document would leave them (minus the source files), for the job tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jobdock.app import Dock
from jobdock.jobs.model import Job, JobStatus, NewJob
from jobdock.library.connections.enrich import enrich_texts
from jobdock.library.connections.store import ConnectionStore
from jobdock.library.files import chunks_document, encode
from jobdock.library.store.repository import DocumentStore
from tests.library.connections.labelled import CORPUS, corpus_records, paragraphs
from tests.support.documents import drain, final_job

USER = "ann"
BASE = datetime(2026, 11, 1, tzinfo=UTC)


async def store_corpus(dock: Dock, names: list[str] | None = None) -> list[str]:
    """Stores the corpus documents (ids = file stems, created a minute apart in name
    order); returns their ids."""
    docs, links = DocumentStore(dock.store), ConnectionStore(dock.store)
    vectors = {r.chunk_id: r.embedding for r in corpus_records()}
    ids = []
    for n, path in enumerate(sorted(CORPUS.glob("*.md"))):
        if names is not None and path.stem not in names:
            continue
        texts = paragraphs(path)
        now = BASE + timedelta(minutes=n)
        await docs.document_insert(user_id=USER, title=path.stem.replace("-", " "),
                                   source_type="markdown", filename=path.name,
                                   storage_path=f"documents/{USER}/{path.stem}/source.md",
                                   now=now, document_id=path.stem)
        chunks = []
        offset = 0
        for i, text in enumerate(texts):
            chunks.append({"id": f"{path.stem}#{i}", "chunk_index": i, "content": text,
                           "start_offset": offset, "end_offset": offset + len(text),
                           "word_count": len(text.split()),
                           "embedding": [float(x) for x in vectors[f"{path.stem}#{i}"]]})
            offset += len(text) + 2
        await docs.chunk_replace(path.stem, chunks, now)
        dock.storage.put(f"documents/{USER}/{path.stem}/chunks.json",
                         encode(chunks_document(path.stem, chunks, "minilm")))
        await docs.document_set_status(path.stem, "completed", now, None)
        await links.enrichment_replace(path.stem, [
            (c["id"], e, c["embedding"]) for c, e in zip(chunks, enrich_texts(texts),
                                                         strict=True)])
        ids.append(path.stem)
    return ids


async def run_job(dock: Dock, job_type: str, data: dict[str, Any],
                  document_id: str) -> Job:
    job = await dock.admin.submit(NewJob(job_type, {"document_id": document_id, **data},
                                         user_id=USER, entity_type="document",
                                         entity_id=document_id))
    await drain(dock)
    return await final_job(dock, job)


async def connection_rows(dock: Dock) -> dict[tuple[str, str, str], tuple[float, Any]]:
    """Every connection in the store: key → (strength, metadata)."""
    rows = await dock.store.execute(
        "SELECT source_chunk_id, target_chunk_id, engine, strength, metadata "
        "FROM connections", {})
    return {(r["source_chunk_id"], r["target_chunk_id"], r["engine"]):
            (float(r["strength"]), dock.store.dec_json(r["metadata"])) for r in rows}


def completed(job: Job) -> Job:
    assert job.status is JobStatus.COMPLETED, (job.status, job.error_message, job.run_at)
    return job

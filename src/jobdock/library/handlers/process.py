"""``process_document``: source file → clean markdown → chunks → metadata → embeddings → saved.

Eight stages, each checkpointed; the embeddings stage saves a cursor after every batch,
so a pause or a crash there resumes at the next batch. Everything is deterministic,
so a resumed run writes the same ``chunks.json`` bytes as an uninterrupted one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections import hooks as connection_hooks
from jobdock.library.files import chunk_id, chunks_document, encode
from jobdock.library.repo import DOCUMENTS, DocumentRepo
from jobdock.library.rows import DocumentRow
from jobdock.library.text import (
    DocumentError,
    Extracted,
    Page,
    chunk_markdown,
    cleanup_with_pages,
    document_metadata,
    embedder_window,
    enrich,
    extract,
    get_embedder,
)

STAGES = (
    Stage("download", 10), Stage("extract", 20, "extraction"), Stage("cleanup", 10),
    Stage("chunking", 10), Stage("metadata", 15), Stage("embeddings", 25),
    Stage("save", 7), Stage("finalize", 3),
)
EMBED_BATCH = 32
CURSOR_SHARE = 0.1


def _as_dict(value: Any) -> dict[str, Any]:
    if hasattr(value, "to_dict"):
        return value.to_dict()  # type: ignore[no-any-return]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return dict(value)


def process_document(ctx: JobContext) -> dict[str, Any]:
    """Extract, clean, chunk, enrich, embed and save one stored document."""
    repo = ctx.service(DOCUMENTS)
    document_id = str(ctx.input["document_id"])
    doc = repo.get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist (deleted?)")
    repo.set_status(document_id, "processing")
    try:
        return _run(ctx, repo, doc)
    except Exception as exc:
        repo.set_status(document_id, "failed", str(exc).split("\n")[0][:500])
        raise


def _run(ctx: JobContext, repo: DocumentRepo, doc: DocumentRow) -> dict[str, Any]:
    source = ctx.run_stage("download", _download, ctx, doc)
    extracted = ctx.run_stage("extract", _extract, ctx, doc)
    cleaned = ctx.run_stage("cleanup", _cleanup, extracted)
    chunks = ctx.run_stage("chunking", _chunk, ctx, cleaned)
    meta = ctx.run_stage("metadata", _metadata, chunks, cleaned["markdown"])
    embedder = str(ctx.input.get("embedder") or "hashing")
    vectors = ctx.run_stage("embeddings", _embed, ctx, chunks, embedder)
    saved = ctx.run_stage("save", _save, ctx, repo, doc, cleaned, chunks, meta, vectors, embedder)
    return ctx.run_stage("finalize", _finalize, repo, doc, extracted, saved, meta, source,
                         embedder)


def _download(ctx: JobContext, doc: DocumentRow) -> dict[str, Any]:
    data = ctx.with_retry(lambda: ctx.read_file(doc["storage_path"]), what="download")
    if data is None:
        raise PermanentError(f"the source file of {doc['filename'] or doc['id']} is missing "
                             f"from storage ({doc['storage_path']})")
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _extract(ctx: JobContext, doc: DocumentRow) -> dict[str, Any]:
    data = ctx.read_file(doc["storage_path"]) or b""
    try:
        extracted = extract(data, doc["filename"] or doc["title"])
    except DocumentError as exc:
        raise PermanentError(str(exc)) from exc
    return _as_dict(extracted)


def _cleanup(extracted: dict[str, Any]) -> dict[str, Any]:
    loaded = Extracted.from_dict(extracted)
    markdown, spans = cleanup_with_pages(loaded.pages, kind=loaded.format)
    if not markdown.strip():
        raise PermanentError("the document has no text left after cleanup")
    return {"markdown": markdown, "page_spans": [list(s) for s in spans]}


def _chunk(ctx: JobContext, cleaned: dict[str, Any]) -> list[dict[str, Any]]:
    spans = [tuple(s) for s in cleaned["page_spans"]]
    target = int(ctx.input.get("target_tokens", 512))
    limit = int(ctx.input.get("max_tokens", 800))
    window, counter = embedder_window(str(ctx.input.get("embedder") or "hashing"))
    if window is not None:  # no chunk longer than what the embedder sees
        target, limit = min(target, window), min(limit, window)
    chunks = chunk_markdown(cleaned["markdown"], spans, target_tokens=target,
                            max_tokens=limit, count=counter)
    ctx.update_progress(details=f"{len(chunks)} chunks")
    return [_as_dict(c) for c in chunks]


def _metadata(chunks: list[dict[str, Any]], markdown: str) -> dict[str, Any]:
    from jobdock.library.text import Chunk

    objects = [Chunk.from_dict(c) for c in chunks]
    per_chunk = [_as_dict(m) for m in enrich(objects, markdown)]
    return {"chunks": per_chunk, "document": document_metadata(markdown, objects),
            "enrichment": connection_hooks.enrichment_for(chunks)}


def _embed(ctx: JobContext, chunks: list[dict[str, Any]], embedder_name: str) -> list[Any]:
    embedder = get_embedder(embedder_name)
    cursor = ctx.cursor or {"vectors": []}
    vectors: list[Any] = list(cursor["vectors"])
    total = len(chunks)
    size = int(ctx.input.get("embed_batch") or EMBED_BATCH)
    saved = -total  # the first batch always saves a cursor
    for start in range(len(vectors), total, size):
        batch = [c["content"] for c in chunks[start:start + size]]
        vectors.extend(embedder.embed(batch))
        done = len(vectors)
        details = f"Embedding chunk {done} of {total}"
        # The cursor holds every vector so far: rewriting it after each batch costs
        # O(n^2) writes on a big document. Save it each tenth of the way instead (a
        # resume redoes at most that much); pauses and cancels are still heard per batch.
        if done - saved >= total * CURSOR_SHARE or done == total:
            ctx.safe_point(done, total, details, cursor={"vectors": vectors})
            saved = done
        else:
            ctx.safe_point(done, total, details)
    return vectors


def _save(ctx: JobContext, repo: DocumentRepo, doc: DocumentRow, cleaned: dict[str, Any],
          chunks: list[dict[str, Any]], meta: dict[str, Any], vectors: list[Any],
          embedder: str) -> dict[str, Any]:
    rows = []
    for chunk, extra, vector in zip(chunks, meta["chunks"], vectors, strict=True):
        index = int(chunk["chunk_index"])
        rows.append({**chunk, **{k: extra.get(k) for k in
                                 ("keywords", "themes", "summary", "importance_score")},
                     "id": chunk_id(doc["id"], index), "embedding": vector})
    markdown = cleaned["markdown"]
    ctx.save_file("content.md", markdown.encode())
    ctx.save_file("chunks.json", encode(chunks_document(doc["id"], rows, embedder)))
    ctx.save_file("metadata.json", encode({"version": "1.0", "document_id": doc["id"],
                                           **meta["document"]}))
    files = ["content.md", "chunks.json", "metadata.json", "manifest.json"]
    manifest = {"version": "1.0", "document_id": doc["id"], "title": doc["title"],
                "source_type": doc["source_type"], "filename": doc["filename"],
                "chunk_count": len(rows), "embedder": embedder, "files": files,
                "markdown_sha256": hashlib.sha256(markdown.encode()).hexdigest()}
    ctx.save_file("manifest.json", encode(manifest))
    repo.replace_chunks(doc["id"], rows)
    connection_hooks.save_enrichment(ctx, doc["id"], rows, meta.get("enrichment"))
    # from the metadata stage: markdown.split() would list every word (~9x the text)
    return {"chunk_count": len(rows), "word_count": int(meta["document"]["word_count"])}


def _finalize(repo: DocumentRepo, doc: DocumentRow, extracted: dict[str, Any],
              saved: dict[str, Any], meta: dict[str, Any], source: dict[str, Any],
              embedder: str) -> dict[str, Any]:
    title = extracted.get("title") or doc["title"]
    repo.set_processed(doc["id"], title=title, page_count=len(extracted.get("pages", [])),
                       chunk_count=saved["chunk_count"], word_count=saved["word_count"],
                       markdown_available=True, embeddings_available=True, embedder=embedder,
                       metadata={"outline": meta["document"].get("outline", []),
                                 "source_sha256": source["sha256"]})
    repo.set_status(doc["id"], "completed")
    follow_up = None
    if saved["chunk_count"] >= 2:  # connections need at least two chunks
        follow_up = repo.queue_unless_active(
            "detect_connections", {"document_id": doc["id"], "chunk_count": saved["chunk_count"],
                                   "trigger": "document-processing-complete"},
            user_id=doc["user_id"], entity_id=doc["id"])
    return {"success": True, "document_id": doc["id"], "chunks_created": saved["chunk_count"],
            "word_count": saved["word_count"], "title": title, "connections_job_id": follow_up}


__all__ = ["STAGES", "Page", "process_document"]

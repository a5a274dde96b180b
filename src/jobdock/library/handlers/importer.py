"""``import_document``: load a document's final files from storage into the database.

Strategies: ``skip`` (keep what is there), ``replace`` (delete and insert), ``merge_smart``
(keep chunk ids and user data where a chunk's content is unchanged).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections import hooks as connection_hooks
from jobdock.library.files import chunk_id, validate_chunks_document
from jobdock.library.repo import DOCUMENTS, DocumentRepo
from jobdock.library.rows import ChunkRow, DocumentRow
from jobdock.library.text import get_embedder

STAGES = (Stage("reading", 10), Stage("validating", 10), Stage("strategy", 40),
          Stage("embeddings", 30), Stage("complete", 10))
STRATEGIES = ("skip", "replace", "merge_smart")


def import_document(ctx: JobContext) -> dict[str, Any]:
    """Import ``chunks.json`` (and friends) of a stored document."""
    repo = ctx.service(DOCUMENTS)
    document_id = str(ctx.input["document_id"])
    strategy = ctx.input.get("strategy", "replace")
    if strategy not in STRATEGIES:
        raise InvalidInputError(f"unknown strategy {strategy!r} (use {', '.join(STRATEGIES)})")
    doc = repo.get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist")
    raw = ctx.run_stage("reading", _read, ctx, doc)
    incoming = ctx.run_stage("validating", validate_chunks_document, raw, "chunks.json")
    if raw.get("document_id") != document_id:  # imported as a new document: new chunk ids
        incoming = [{**c, "id": chunk_id(document_id, int(c["chunk_index"]))} for c in incoming]
    result = ctx.run_stage("strategy", _apply, repo, document_id, strategy, incoming)
    regenerated = ctx.run_stage("embeddings", _embeddings, ctx, repo, document_id, raw)
    embedder = str(ctx.input.get("embedder") or raw.get("embedder") or "") or None
    return ctx.run_stage("complete", _complete, ctx, repo, document_id, strategy, result,
                         regenerated, embedder)


def _read(ctx: JobContext, doc: DocumentRow) -> dict[str, Any]:
    prefix = str(ctx.input.get("source_prefix") or doc["storage_path"].rsplit("/", 1)[0])
    data = ctx.read_file(f"{prefix}/chunks.json")
    if data is None:
        raise PermanentError(f"{prefix}/chunks.json is missing from storage")
    try:
        return json.loads(data)  # type: ignore[no-any-return]
    except json.JSONDecodeError as exc:
        raise PermanentError(f"{prefix}/chunks.json is not valid JSON: {exc.msg}") from exc


def _apply(repo: DocumentRepo, document_id: str, strategy: str,
           incoming: list[dict[str, Any]]) -> dict[str, int]:
    existing = repo.chunks(document_id)
    if strategy == "skip" and existing:
        return {"imported": 0, "kept": len(existing)}
    if strategy == "merge_smart":
        incoming = _merge(existing, incoming)
    rows = [{**chunk, "id": chunk.get("id")} for chunk in incoming]
    repo.replace_chunks(document_id, rows)
    return {"imported": len(rows), "kept": 0}


def _merge(existing: Sequence[ChunkRow],
           incoming: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unchanged content keeps its chunk id and user data; the rest comes as imported."""
    by_content = {c["content"]: c for c in existing}
    merged = []
    for chunk in incoming:
        old = by_content.get(chunk["content"])
        if old is not None:
            chunk = {**chunk, "id": old["id"], "user_data": old.get("user_data") or {}}
        merged.append(chunk)
    return merged


def _embeddings(ctx: JobContext, repo: DocumentRepo, document_id: str,
                raw: dict[str, Any]) -> int:
    chunks = repo.chunks(document_id)
    missing = [c for c in chunks if not c.get("embedding")]
    if not (missing or ctx.input.get("regenerate_embeddings")):
        return 0
    todo = chunks if ctx.input.get("regenerate_embeddings") else missing
    embedder = get_embedder(str(ctx.input.get("embedder") or raw.get("embedder") or "hashing"))
    vectors = embedder.embed([c["content"] for c in todo])
    by_id = {c["id"]: v for c, v in zip(todo, vectors, strict=True)}
    repo.replace_chunks(document_id, [{**c, "embedding": by_id.get(c["id"], c.get("embedding"))}
                                      for c in chunks])
    return len(todo)


def _complete(ctx: JobContext, repo: DocumentRepo, document_id: str, strategy: str,
              result: dict[str, int], regenerated: int, embedder: str | None) -> dict[str, Any]:
    chunks, doc = repo.chunks(document_id), repo.get(document_id)
    prefix = str(ctx.input.get("source_prefix")
                 or (doc["storage_path"] if doc else "").rsplit("/", 1)[0])
    linked = connection_hooks.after_import(ctx, document_id, chunks, prefix)
    repo.set_processed(document_id, chunk_count=len(chunks),
                       word_count=sum(int(c.get("word_count") or 0) for c in chunks),
                       markdown_available=True,
                       embeddings_available=all(c.get("embedding") for c in chunks),
                       page_count=doc["page_count"] if doc else None,
                       embedder=embedder or (doc["embedder"] if doc else None))
    repo.set_status(document_id, "completed")
    return {"success": True, "document_id": document_id, "strategy": strategy,
            "imported": result["imported"], "regenerated_embeddings": regenerated,
            "connections_restored": linked["restored"]}

"""Rechunk an edited text, keeping the embeddings of chunks whose text did not change.

The new text is chunked as processing does; a new chunk whose content equals an old
chunk's keeps that chunk's embedding (and page numbers); only the others are embedded,
in batches with a cursor, so a pause mid-way resumes at the next batch.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.library.files import chunk_id
from jobdock.library.text import Chunk, chunk_markdown, enrich, get_embedder

EMBED_BATCH = 32
_META = ("keywords", "themes", "summary", "importance_score")


def plan_chunks(text: str, old_chunks: list[dict[str, Any]], document_id: str,
                target_tokens: int = 512, max_tokens: int = 800) -> list[dict[str, Any]]:
    """New chunk rows; ``embedding`` set where an old chunk had the same content."""
    old = {c["content"]: c for c in old_chunks if c.get("embedding") is not None}
    chunks = chunk_markdown(text, None, target_tokens=target_tokens, max_tokens=max_tokens)
    metas = enrich(chunks, text)
    rows = []
    for chunk, meta in zip(chunks, metas, strict=True):
        row = dataclasses.asdict(chunk)
        extra = dataclasses.asdict(meta) if dataclasses.is_dataclass(meta) else dict(meta)
        row.update({k: extra.get(k) for k in _META})
        row["id"] = chunk_id(document_id, row["chunk_index"])
        kept = old.get(row["content"])
        row["embedding"] = kept["embedding"] if kept else None
        if kept:
            row["page_start"], row["page_end"] = kept.get("page_start"), kept.get("page_end")
        rows.append(row)
    return rows


def embed_missing(ctx: JobContext, rows: list[dict[str, Any]], embedder_name: str) -> list[Any]:
    """Embeddings for every row: the kept ones as they are, the rest computed."""
    missing = [i for i, r in enumerate(rows) if r["embedding"] is None]
    cursor = ctx.cursor or {"vectors": []}
    vectors: list[Any] = list(cursor["vectors"])
    if missing[len(vectors):]:
        embedder = get_embedder(embedder_name)
        for start in range(len(vectors), len(missing), EMBED_BATCH):
            batch = [rows[i]["content"] for i in missing[start:start + EMBED_BATCH]]
            vectors.extend(_plain(v) for v in embedder.embed(batch))
            ctx.safe_point(len(vectors), len(missing),
                           f"Embedding changed chunk {len(vectors)} of {len(missing)}",
                           cursor={"vectors": vectors})
    out = [r["embedding"] for r in rows]
    for i, vector in zip(missing, vectors, strict=True):
        out[i] = vector
    return out


def _plain(vector: Any) -> Any:
    return vector.tolist() if hasattr(vector, "tolist") else list(vector)


__all__ = ["Chunk", "embed_missing", "plan_chunks"]

"""Rechunk an edited text, keeping the embeddings of chunks whose text did not change.

The new text is chunked as processing does; a new chunk whose content equals an old
chunk's is marked ``kept`` (and keeps its page numbers); only the others are embedded,
in batches with a cursor, so a pause mid-way resumes at the next batch. The kept
vectors are not copied through the checkpoints: :func:`with_embeddings` takes them
from the stored chunks by content when the rows are saved.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.library.files import chunk_id
from jobdock.library.rows import ChunkRow
from jobdock.library.text import Chunk, chunk_markdown, enrich, get_embedder
from jobdock.library.text.embeddings import embedder_window

EMBED_BATCH = 32
_META = ("keywords", "themes", "summary", "importance_score")


def plan_chunks(text: str, old_chunks: Sequence[ChunkRow], document_id: str,
                embedder: str = "hashing", target_tokens: int = 512,
                max_tokens: int = 800) -> list[dict[str, Any]]:
    """New chunk rows; ``kept`` where an old chunk had the same content (and a vector).

    Chunked as ``process_document`` chunks for this embedder (within its window, counted
    with its tokenizer), so unchanged passages give the same chunks as before.
    """
    old = {c["content"]: c for c in old_chunks if c.get("embedding") is not None}
    window, counter = embedder_window(embedder)
    if window is not None:
        target_tokens, max_tokens = min(target_tokens, window), min(max_tokens, window)
    chunks = chunk_markdown(text, None, target_tokens=target_tokens, max_tokens=max_tokens,
                            count=counter)
    metas = enrich(chunks, text)
    rows = []
    for chunk, meta in zip(chunks, metas, strict=True):
        row = dataclasses.asdict(chunk)
        extra = dataclasses.asdict(meta) if dataclasses.is_dataclass(meta) else dict(meta)
        row.update({k: extra.get(k) for k in _META})
        row["id"] = chunk_id(document_id, row["chunk_index"])
        kept = old.get(row["content"])
        row["embedding"] = None
        row["kept"] = kept is not None
        if kept:
            row["page_start"], row["page_end"] = kept.get("page_start"), kept.get("page_end")
        rows.append(row)
    return rows


def embed_missing(ctx: JobContext, rows: list[dict[str, Any]],
                  embedder_name: str) -> dict[str, Any]:
    """Vectors of the rows not kept, by chunk index (as a string: JSON keys)."""
    missing = [i for i, r in enumerate(rows) if not r["kept"]]
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
    return {str(rows[i]["chunk_index"]): v for i, v in zip(missing, vectors, strict=True)}


def with_embeddings(rows: list[dict[str, Any]], new: dict[str, Any],
                    stored: Sequence[ChunkRow]) -> list[dict[str, Any]]:
    """The rows with every vector: new ones, else the stored chunk's of the same content
    (after a crash mid-save the stored chunks are already the new ones: same contents)."""
    by_content = {c["content"]: c.get("embedding") for c in stored}
    out = []
    for row in rows:
        vector = new.get(str(row["chunk_index"]))
        if vector is None:
            vector = by_content.get(row["content"])
        if vector is None:
            raise AssertionError(f"chunk {row['chunk_index']} has no vector")
        out.append({**row, "embedding": vector})
    return out


def _plain(vector: Any) -> Any:
    return vector.tolist() if hasattr(vector, "tolist") else list(vector)


__all__ = ["Chunk", "embed_missing", "plan_chunks", "with_embeddings"]

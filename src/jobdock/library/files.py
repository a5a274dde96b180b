"""The files a processed document leaves in storage, and the chunks.json format (1.0)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from jobdock.jobs.errors import PermanentError
from jobdock.jobs.model import Job

CHUNKS_VERSION = "1.0"
FINAL_FILES = ("content.md", "chunks.json", "metadata.json", "manifest.json")
CHUNK_KEYS = ("id", "chunk_index", "content", "start_offset", "end_offset", "heading_path",
              "page_start", "page_end", "word_count", "token_count", "keywords", "themes",
              "summary", "importance_score", "embedding")
FLUSH_CHARS = 1 << 16
_REQUIRED = {"chunk_index": int, "content": str, "start_offset": int, "end_offset": int}


# The one home of the documents/{user}/{doc} key layout.
def document_prefix(user_id: str, document_id: str) -> str:
    return f"documents/{user_id}/{document_id}"


def source_key(user_id: str, document_id: str, suffix: str) -> str:
    """Where an uploaded source file goes (``suffix`` like ``.pdf``; ``.bin`` if none)."""
    return f"{document_prefix(user_id, document_id)}/source{suffix or '.bin'}"


def document_job_prefix(job: Job) -> str:
    """The storage prefix document job types declare: the document's folder."""
    if job.entity_id:
        return document_prefix(job.user_id or "anonymous", job.entity_id)
    return f"jobs/{job.id}"


def chunk_id(document_id: str, index: int) -> str:
    """Stable chunk ids: reprocessing the same document gives the same ids."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jobdock:{document_id}:{index}"))


def encode(data: Any) -> bytes:
    """Pretty, stable JSON for files people may open (sorted keys, fixed indent)."""
    return b"".join(encode_pieces(data))


def encode_pieces(data: Any) -> Iterator[bytes]:
    """:func:`encode` as pieces of about 64 KB, to be written as they come.

    ``json.dumps`` with an indent first lists every fragment (each float of each
    vector), ~15x the size of the result. A :class:`LazyList` inside ``data`` is
    produced one item at a time."""
    pieces: list[str] = []
    size = 0
    encoder = json.JSONEncoder(indent=2, sort_keys=True, ensure_ascii=False)
    for piece in encoder.iterencode(data):
        pieces.append(piece)
        size += len(piece)
        if size > FLUSH_CHARS:
            yield "".join(pieces).encode()
            pieces, size = [], 0
    pieces.append("\n")
    yield "".join(pieces).encode()


class LazyList(list):  # type: ignore[type-arg]
    """A list to the JSON encoder whose ``count`` items come from ``items()`` one at a
    time, never all in memory (with an indent, ``json`` encodes lists in Python)."""

    def __init__(self, count: int, items: Callable[[], Iterator[Any]]) -> None:
        super().__init__()
        self._count = count
        self._items = items

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        return self._items()


def chunks_document(document_id: str, chunks: list[dict[str, Any]],
                    embedder: str | None) -> dict[str, Any]:
    return {"version": CHUNKS_VERSION, "document_id": document_id, "embedder": embedder,
            "chunks": [{k: c.get(k) for k in CHUNK_KEYS} for c in chunks]}


def validate_chunks_document(data: Any, source: str) -> list[dict[str, Any]]:
    """Check a chunks.json against format 1.0; the error names the first problem."""
    if not isinstance(data, dict):
        raise PermanentError(f"{source} is not a chunks.json object")
    if data.get("version") != CHUNKS_VERSION:
        raise PermanentError(f"{source} has version {data.get('version')!r}; "
                             f"only {CHUNKS_VERSION!r} can be imported")
    chunks = data.get("chunks")
    if not isinstance(chunks, list):
        raise PermanentError(f"{source} has no list of chunks")
    for i, chunk in enumerate(chunks):
        for key, kind in _REQUIRED.items():
            if not isinstance(chunk, dict) or not isinstance(chunk.get(key), kind):
                raise PermanentError(f"{source}: chunk {i} lacks a valid {key!r}")
        if chunk["end_offset"] < chunk["start_offset"]:
            raise PermanentError(f"{source}: chunk {i} ends before it starts")
    return chunks

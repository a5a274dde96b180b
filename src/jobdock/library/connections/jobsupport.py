"""What both connection job types share: engines chosen, enrichment ensured, the table
loaded once per run."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jobdock.jobs.errors import InvalidInputError
from jobdock.library.connections.enrich import enrich_texts
from jobdock.library.connections.model import ENGINES
from jobdock.library.connections.repo import ConnectionsRepo
from jobdock.library.connections.table import ChunkTable
from jobdock.library.repo import DocumentRepo


def selected_engines(value: Any) -> list[str]:
    if value in (None, "", []):
        return list(ENGINES)
    names = value.split(",") if isinstance(value, str) else list(value)
    names = [str(n).strip() for n in names if str(n).strip()]
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise InvalidInputError(f"unknown engine(s) {', '.join(unknown) or '(none)'}; "
                                f"choose from {', '.join(ENGINES)}")
    return [e for e in ENGINES if e in names]


def enrich_chunks(chunks: Sequence[Mapping[str, Any]]) -> list[tuple[str, Any, Any]]:
    """(chunk id, enrichment, embedding) for a document's chunks, in order."""
    enrichments = enrich_texts([c["content"] for c in chunks])
    return [(c["id"], e, c.get("embedding")) for c, e in zip(chunks, enrichments, strict=True)]


def ensure_enriched(docs: DocumentRepo, repo: ConnectionsRepo, document_id: str,
                    refresh: bool = False) -> list[str]:
    """The document's chunk ids; enriches it first if it was processed before enrichment
    existed (or its enrichment is incomplete), or always with ``refresh`` (reprocessing
    brings a document enriched by an older version up to the current one)."""
    have = repo.chunk_ids(document_id)
    chunks = docs.chunks(document_id)
    if refresh or len(have) != len(chunks):
        repo.save_enrichments(document_id, enrich_chunks(chunks))
        have = repo.chunk_ids(document_id)
    return have


class LazyTable:
    """Loads the library table the first time an engine needs it, then keeps it."""

    def __init__(self, load: Callable[[], ChunkTable]) -> None:
        self._load = load
        self._table: ChunkTable | None = None

    def __call__(self) -> ChunkTable:
        if self._table is None:
            self._table = self._load()
        return self._table

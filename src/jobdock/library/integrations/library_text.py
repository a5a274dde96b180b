"""A processed document's text and chunks, as the integration handlers read them."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError
from jobdock.library.files import document_prefix
from jobdock.library.repo import DOCUMENTS, DocumentRepo
from jobdock.library.rows import DocumentRow


def content_key(doc: DocumentRow) -> str:
    return f"{document_prefix(doc['user_id'], doc['id'])}/content.md"


def load_document(ctx: JobContext, document_id: str) -> DocumentRow:
    doc = ctx.service(DOCUMENTS).get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist (deleted?)")
    if ctx.job.user_id and doc["user_id"] != ctx.job.user_id:
        raise PermanentError(f"document {document_id} belongs to another user")
    return doc


def read_text(ctx: JobContext, doc: DocumentRow) -> str:
    data = ctx.read_file(content_key(doc))
    if data is None:
        raise PermanentError(f"{doc['title']!r} has no text yet: process it first "
                             f"(status {doc.get('status')})")
    return data.decode("utf-8")


def documents_repo(ctx: JobContext) -> DocumentRepo:
    return ctx.service(DOCUMENTS)


class ChunkIndex:
    """Which chunk an offset falls in (the nearest before it when it is in a gap)."""

    # Stored chunks (ChunkRow) or freshly planned ones: both carry these keys.
    def __init__(self, chunks: Sequence[Mapping[str, Any]]) -> None:
        self.chunks = sorted(chunks, key=lambda c: c["start_offset"])
        self._starts = [c["start_offset"] for c in self.chunks]

    def at(self, offset: int) -> Mapping[str, Any] | None:
        k = bisect.bisect_right(self._starts, offset) - 1
        return self.chunks[max(k, 0)] if self.chunks else None

    def ref(self, offset: int) -> dict[str, Any]:
        chunk = self.at(offset)
        return {"chunk_id": chunk["id"], "chunk_index": chunk["chunk_index"]} if chunk else \
            {"chunk_id": None, "chunk_index": None}

    def page_offset(self, page: int) -> int | None:
        """Where a page starts, from the chunks' page numbers (PDFs), if known."""
        for chunk in self.chunks:
            if chunk.get("page_end") is not None and chunk["page_end"] >= page:
                return int(chunk["start_offset"])
        return None

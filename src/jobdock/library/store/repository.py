"""The library's store: documents and their chunks, over the engine store's connection.

Its SQL lives in per-dialect named-query files beside it (``{dialect}/queries.sql``) and
its tables in its own migration sequence (``{dialect}/migrations``). Rows come back as
:class:`DocumentRow` / :class:`ChunkRow` with JSON fields decoded; document job handlers
reach them through ``ctx.service(DOCUMENTS)`` (wiring.py), never directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from jobdock.library.files import CHUNK_KEYS
from jobdock.library.rows import ChunkRow, DocumentRow
from jobdock.store import MigrationSet, Store
from jobdock.store.queries import load_queries

PACKAGE = "jobdock.library.store"
# The documents tables were created by the engine's 0002_documents before the split.
MIGRATIONS = MigrationSet("library", PACKAGE, adopts={"0001_documents": "0002_documents"})
_DOC_JSON = ("metadata",)
_DOC_TIMES = ("processing_started_at", "processing_completed_at", "created_at", "updated_at")
_DOC_BOOLS = ("markdown_available", "embeddings_available")
_CHUNK_JSON = ("heading_path", "keywords", "themes", "embedding", "user_data")
CHUNK_FIELDS = (*CHUNK_KEYS, "user_data")  # chunks.json's keys plus the user's own data


class DocumentStore:
    """Named document queries run through an open engine :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = load_queries(store.dialect, PACKAGE)
        self.enc_time = store.enc_time
        self.dec_time = store.dec_time
        self.enc_json = store.enc_json
        self.dec_json = store.dec_json

    async def fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.store.execute(self.queries[name], params)

    async def fetch_in_transaction(
            self, steps: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        return await self.store.execute_in_transaction(
            [(self.queries[name], params) for name, params in steps])

    def _document(self, row: dict[str, Any]) -> DocumentRow:
        doc = dict(row)
        for name in _DOC_JSON:
            doc[name] = self.dec_json(doc[name]) or {}
        for name in _DOC_TIMES:
            value = self.dec_time(doc[name])
            doc[name] = value.isoformat() if value else None
        for name in _DOC_BOOLS:
            doc[name] = bool(doc[name])
        return cast(DocumentRow, doc)  # the documents table's columns, decoded above

    def _chunk(self, row: dict[str, Any]) -> ChunkRow:
        chunk = {name: row[name] for name in CHUNK_FIELDS}
        for name in _CHUNK_JSON:
            chunk[name] = self.dec_json(chunk[name])
        return cast(ChunkRow, chunk)  # CHUNK_FIELDS, JSON decoded above

    async def document_insert(self, *, user_id: str, title: str, source_type: str,
                              filename: str | None, storage_path: str, now: datetime,
                              document_id: str | None = None,
                              metadata: dict[str, Any] | None = None) -> DocumentRow:
        rows = await self.fetch("document_insert", {
            "id": document_id or str(uuid.uuid4()), "user_id": user_id, "title": title,
            "source_type": source_type, "filename": filename, "storage_path": storage_path,
            "metadata": self.enc_json(metadata or {}), "now": self.enc_time(now)})
        return self._document(rows[0])

    async def document_get(self, document_id: str,
                           user_id: str | None = None) -> DocumentRow | None:
        rows = await self.fetch("document_get", {"id": document_id, "user_id": user_id})
        return self._document(rows[0]) if rows else None

    async def document_list(self, user_id: str | None = None,
                            limit: int = 100) -> list[DocumentRow]:
        rows = await self.fetch("document_list", {"user_id": user_id, "limit": limit})
        return [self._document(r) for r in rows]

    async def document_set_status(self, document_id: str, status: str, now: datetime,
                                  error: str | None = None) -> bool:
        return bool(await self.fetch("document_set_status", {
            "id": document_id, "status": status, "error": error, "now": self.enc_time(now)}))

    async def document_set_processed(self, document_id: str, now: datetime, *,
                                     title: str | None = None, page_count: int | None = None,
                                     chunk_count: int = 0, word_count: int | None = None,
                                     markdown_available: bool = False,
                                     embeddings_available: bool = False,
                                     embedder: str | None = None,
                                     metadata: dict[str, Any] | None = None) -> bool:
        return bool(await self.fetch("document_set_processed", {
            "id": document_id, "title": title, "page_count": page_count,
            "chunk_count": chunk_count, "word_count": word_count,
            "markdown_available": markdown_available,
            "embeddings_available": embeddings_available, "embedder": embedder,
            "metadata": self.enc_json(metadata or {}), "now": self.enc_time(now)}))

    async def document_delete(self, document_id: str) -> bool:
        return bool(await self.fetch("document_delete", {"id": document_id}))

    async def chunk_replace(self, document_id: str, chunks: Sequence[Mapping[str, Any]],
                            now: datetime) -> int:
        """Delete a document's chunks and insert these, in one transaction."""
        rows = [{name: chunk.get(name) for name in CHUNK_FIELDS} for chunk in chunks]
        for row in rows:
            row["id"] = row["id"] or str(uuid.uuid4())
        steps: list[tuple[str, dict[str, Any]]] = [
            ("chunk_delete_for_document", {"document_id": document_id})]
        if rows:
            steps.append(("chunk_insert_many", {"document_id": document_id,
                                                "rows": self.enc_json(rows),
                                                "now": self.enc_time(now)}))
        await self.fetch_in_transaction(steps)
        return len(rows)

    async def chunk_insert(self, document_id: str, chunks: Sequence[Mapping[str, Any]],
                           now: datetime, from_index: int | None = None) -> int:
        """Insert these chunks of a document (a batch of a big document's chunks), first
        deleting its chunks from ``from_index`` on if given, in one transaction."""
        rows = [{name: chunk.get(name) for name in CHUNK_FIELDS} for chunk in chunks]
        for row in rows:
            row["id"] = row["id"] or str(uuid.uuid4())
        steps: list[tuple[str, dict[str, Any]]] = []
        if from_index is not None:
            steps.append(("chunk_delete_from", {"document_id": document_id,
                                                "from_index": from_index}))
        if rows:
            steps.append(("chunk_insert_many", {"document_id": document_id,
                                                "rows": self.enc_json(rows),
                                                "now": self.enc_time(now)}))
        if steps:
            await self.fetch_in_transaction(steps)
        return len(rows)

    async def chunk_list(self, document_id: str) -> list[ChunkRow]:
        rows = await self.fetch("chunk_list", {"document_id": document_id})
        return [self._chunk(r) for r in rows]

"""The connections store: chunk enrichments and connections, over the engine store.

Tables come from the library's migration sequence (``library/store/{dialect}/
migrations/0002_connections.sql``); the SQL is in ``sql/{dialect}/queries.sql``. Vectors are
float32 bytes and concepts '|'-joined strings, so a 100,000-chunk library loads without
parsing text per row.
"""

from __future__ import annotations

import sys
import uuid
from datetime import datetime
from typing import Any

import numpy as np

from jobdock.library.connections.enrich import Enrichment
from jobdock.library.connections.table import ChunkTable, normalise
from jobdock.store import Store
from jobdock.store.queries import load_queries

PACKAGE = "jobdock.library.connections.sql"
SEPARATOR = "|"  # concept keys and texts are words, apostrophes and hyphens: never a "|"
EXPORT_KEYS = ("id", "source_chunk_id", "target_chunk_id", "engine", "strength", "metadata",
               "user_validated", "validated_at", "discovered_at")


def connection_id(source: str, target: str, engine: str) -> str:
    """Stable ids: the same connection found twice is the same row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jobdock:connection:{source}:{target}:{engine}"))


def encode_vector(vector: Any) -> bytes | None:
    """Little-endian float32 bytes (a BLOB / bytea: no text to parse when loading)."""
    if vector is None:
        return None
    return np.asarray(vector, dtype="<f4").tobytes()


class ConnectionStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = load_queries(store.dialect, PACKAGE)

    async def _run(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.store.execute(self.queries[name], params)

    # ---- enrichments ----------------------------------------------------------------
    async def enrichment_replace(self, document_id: str,
                                 rows: list[tuple[str, Enrichment, Any]],
                                 replace: bool = True) -> None:
        """(chunk id, enrichment, vector) for each chunk of a document, in one transaction;
        ``replace=False`` adds them to the document's (a batch of a big document)."""
        steps: list[tuple[str, dict[str, Any]]] = [
            (self.queries["enrichment_delete_for_document"], {"document_id": document_id})
        ] if replace else []
        for chunk_id, e, vector in rows:
            steps.append((self.queries["enrichment_insert"], {
                "chunk_id": chunk_id, "document_id": document_id,
                "concepts": self.store.enc_json([c.to_dict() for c in e.concepts]),
                "concept_keys": SEPARATOR.join(e.all_keys),
                "concept_texts": SEPARATOR.join(c.text for c in e.concepts),
                "importance": e.importance, "polarity": e.polarity,
                "domain": e.domain.domain, "domain_confidence": e.domain.confidence,
                "vector": encode_vector(vector)}))
        if steps:
            await self.store.execute_in_transaction(steps)

    async def enrichment_for_document(self, document_id: str) -> list[dict[str, Any]]:
        rows = await self._run("enrichment_for_document", {"document_id": document_id})
        for row in rows:
            row["concepts"] = self.store.dec_json(row["concepts"]) or []
        return rows

    async def library_table(self, user_id: str, page: int = 5000) -> ChunkTable:
        """The user's whole library as engine columns, read some documents at a time
        (about ``page`` chunks) into preallocated arrays: a 100,000-chunk library never
        sits in memory as rows, and each page is an index lookup, not a sort of all."""
        total = int((await self._run("library_count", {"user_id": user_id}))[0]["n"])
        documents = [r["id"] for r in await self._run("library_documents",
                                                      {"user_id": user_id})]
        builder = TableBuilder(total, self.store.dec_json)
        group: list[str] = []
        for i, document_id in enumerate(documents):
            group.append(document_id)
            if len(group) * max(1, total // max(1, len(documents))) >= page \
                    or i == len(documents) - 1:
                builder.add(await self._run("library_rows",
                                            {"ids": self.store.enc_json(group)}))
                group = []
        return builder.table()

    async def documents_newer_than(self, document_id: str) -> list[str]:
        rows = await self._run("documents_newer_than", {"document_id": document_id})
        return [r["id"] for r in rows]

    # ---- connections ----------------------------------------------------------------
    async def upsert(self, connections: list[dict[str, Any]], now: datetime,
                     batch: int = 1000) -> int:
        """Insert or refresh; returns how many rows are new."""
        added = 0
        for start in range(0, len(connections), batch):
            rows = [{**c, "id": connection_id(c["source_chunk_id"], c["target_chunk_id"],
                                              c["engine"])}
                    for c in connections[start:start + batch]]
            params = {"rows": self.store.enc_json(rows), "now": self.store.enc_time(now)}
            existing, written = await self.store.execute_in_transaction([
                (self.queries["connection_count_existing"], {"rows": params["rows"]}),
                (self.queries["connection_upsert_many"], params)])
            added += len(written) - int(existing[0]["n"])
        return added

    async def restore(self, connections: list[dict[str, Any]], now: datetime) -> int:
        rows: list[dict[str, Any]] = [{k: c.get(k) for k in EXPORT_KEYS} for c in connections]
        for row in rows:
            row["id"] = row["id"] or connection_id(str(row["source_chunk_id"]),
                                                   str(row["target_chunk_id"]),
                                                   str(row["engine"]))
            for name in ("validated_at", "discovered_at"):
                row[name] = self._time_text(row[name])
        if not rows:
            return 0
        result = await self._run("connection_restore_many", {
            "rows": self.store.enc_json(rows), "now": self.store.enc_time(now)})
        return len(result)

    async def counts(self, document_id: str) -> dict[str, int]:
        rows = await self._run("connection_count_for_document", {"document_id": document_id})
        return {r["engine"]: int(r["n"]) for r in rows}

    async def list_for_document(self, document_id: str) -> list[dict[str, Any]]:
        rows = await self._run("connection_list_for_document", {"document_id": document_id})
        return [self._connection(r) for r in rows]

    async def outgoing(self, document_id: str) -> list[dict[str, Any]]:
        rows = await self._run("connection_list_outgoing", {"document_id": document_id})
        return [self._connection(r) for r in rows]

    async def export_rows(self, document_id: str) -> list[dict[str, Any]]:
        """Every connection touching the document (both directions), as
        ``connections.json`` carries them."""
        rows = await self.list_for_document(document_id)
        return [{k: r[k] for k in EXPORT_KEYS} for r in rows]

    async def validated(self, document_id: str) -> list[dict[str, Any]]:
        rows = await self._run("connection_validated_for_document",
                               {"document_id": document_id})
        return [self._connection(r) for r in rows]

    async def delete_for_document(self, document_id: str, unreviewed_only: bool) -> int:
        name = ("connection_delete_unreviewed_for_document" if unreviewed_only
                else "connection_delete_for_document")
        return len(await self._run(name, {"document_id": document_id}))

    async def set_validated(self, connection_id: str, value: bool | None,
                            now: datetime) -> dict[str, Any] | None:
        rows = await self._run("connection_set_validated", {
            "id": connection_id, "value": value, "now": self.store.enc_time(now)})
        return self._connection(rows[0]) if rows else None

    def _time_text(self, value: str | None) -> str | None:
        """An ISO time from a file, as this dialect stores it inside a JSON row."""
        if not value:
            return None
        encoded = self.store.enc_time(datetime.fromisoformat(value))
        return encoded if isinstance(encoded, str) else value

    def _connection(self, row: dict[str, Any]) -> dict[str, Any]:
        conn = dict(row)
        conn["metadata"] = self.store.dec_json(conn["metadata"]) or {}
        if conn.get("user_validated") is not None:
            conn["user_validated"] = bool(conn["user_validated"])
        for name in ("discovered_at", "validated_at"):
            value = self.store.dec_time(conn.get(name))
            conn[name] = value.isoformat() if value else None
        conn["strength"] = float(conn["strength"])
        return conn


def _split(joined: str) -> tuple[str, ...]:
    """Concept keys of a row, interned: a library of 100,000 chunks holds 3.5 million
    keys but only tens of thousands of distinct ones, and one copy of each (with its
    hash cached) is what the table keeps."""
    return tuple(map(sys.intern, joined.split(SEPARATOR))) if joined else ()


class TableBuilder:
    """Fills a :class:`ChunkTable`'s columns page by page; vectors go straight into one
    preallocated float32 matrix (rows without a vector, or of another size, stay zero)."""

    def __init__(self, total: int, dec_json: Any) -> None:
        self.total = total
        self.dec_json = dec_json
        self.matrix: np.ndarray | None = None
        self.n = 0
        self.chunk_ids: list[str] = []
        self.document_ids: list[str] = []
        self.importance: list[float] = []
        self.polarity: list[float] = []
        self.domains: list[str] = []
        self.concepts: list[tuple[str, ...]] = []
        self.texts: list[tuple[str, ...]] = []

    def add(self, rows: list[dict[str, Any]]) -> None:
        """One page, column by column (per-row Python work is what a big library costs)."""
        rows = rows[: self.total - self.n]  # rows added since the count: the next run's
        if not rows:
            return
        self._vectors([r["vector"] for r in rows])
        self.chunk_ids += [r["chunk_id"] for r in rows]
        self.document_ids += [r["document_id"] for r in rows]
        self.importance += [r["importance"] for r in rows]
        self.polarity += [r["polarity"] for r in rows]
        self.domains += [r["domain"] for r in rows]
        self.concepts += [_split(r["concept_keys"]) for r in rows]
        self.texts += [_split(r["concept_texts"]) for r in rows]
        self.n += len(rows)

    def _vectors(self, values: list[Any]) -> None:
        blobs = [bytes(v) if v else b"" for v in values]
        size = max((len(b) for b in blobs), default=0)
        if not size:
            return
        if self.matrix is None:
            self.matrix = np.zeros((self.total, size // 4), dtype=np.float32)
        width = self.matrix.shape[1] * 4
        block = self.matrix[self.n:self.n + len(blobs)]
        if all(len(b) == width for b in blobs):  # the usual page: one copy for all
            block[:] = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), -1)
            return
        for i, blob in enumerate(blobs):
            if len(blob) == width:
                block[i] = np.frombuffer(blob, dtype="<f4")

    def table(self) -> ChunkTable:
        matrix = self.matrix if self.matrix is not None else np.zeros((self.total, 1),
                                                                      dtype=np.float32)
        return ChunkTable(
            chunk_ids=self.chunk_ids, document_ids=self.document_ids,
            embeddings=normalise(matrix[: self.n]),
            importance=np.array(self.importance, dtype=np.float32),
            polarity=np.array(self.polarity, dtype=np.float32),
            domains=self.domains, concepts=self.concepts, concept_texts=self.texts)

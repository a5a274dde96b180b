"""The connections store: chunk enrichments and connections, over the engine store.

Tables come from the library's migration sequence (``library/store/{dialect}/
migrations/0002_connections.sql``); the SQL is in ``sql/{dialect}/queries.sql``. Vectors
travel as base64 float32 so a library of 100,000 chunks loads in about a second.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

import numpy as np

from jobdock.library.connections.enrich import Enrichment
from jobdock.library.connections.table import ChunkTable, normalise
from jobdock.store import Store
from jobdock.store.queries import load_queries

PACKAGE = "jobdock.library.connections.sql"
EXPORT_KEYS = ("id", "source_chunk_id", "target_chunk_id", "engine", "strength", "metadata",
               "user_validated", "validated_at", "discovered_at")


def connection_id(source: str, target: str, engine: str) -> str:
    """Stable ids: the same connection found twice is the same row."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"jobdock:connection:{source}:{target}:{engine}"))


def encode_vector(vector: Any) -> str | None:
    if vector is None:
        return None
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode()


class ConnectionStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = load_queries(store.dialect, PACKAGE)

    async def _run(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.store.execute(self.queries[name], params)

    # ---- enrichments ----------------------------------------------------------------
    async def enrichment_replace(self, document_id: str,
                                 rows: list[tuple[str, Enrichment, Any]]) -> None:
        """(chunk id, enrichment, vector) for each chunk of a document, in one transaction."""
        payload = [{"chunk_id": cid, "concepts": [c.to_dict() for c in e.concepts],
                    "importance": e.importance, "polarity": e.polarity,
                    "domain": e.domain.domain, "domain_confidence": e.domain.confidence,
                    "vector": encode_vector(v), "version": 1} for cid, e, v in rows]
        steps = [(self.queries["enrichment_delete_for_document"], {"document_id": document_id})]
        if payload:
            steps.append((self.queries["enrichment_insert_many"],
                          {"document_id": document_id, "rows": self.store.enc_json(payload)}))
        await self.store.execute_in_transaction(steps)

    async def enrichment_for_document(self, document_id: str) -> list[dict[str, Any]]:
        rows = await self._run("enrichment_for_document", {"document_id": document_id})
        for row in rows:
            row["concepts"] = self.store.dec_json(row["concepts"]) or []
        return rows

    async def library_table(self, user_id: str, page: int = 5000) -> ChunkTable:
        """The user's whole library as engine columns, read a page at a time into
        preallocated arrays (a 100,000-chunk library never sits in memory as rows)."""
        total = int((await self._run("library_count", {"user_id": user_id}))[0]["n"])
        builder = TableBuilder(total, self.store.dec_json)
        after: dict[str, Any] = {"after_created": None, "after_document": None,
                                 "after_index": None}
        while True:
            rows = await self._run("library_rows", {"user_id": user_id, "page": page,
                                                    **after})
            builder.add(rows)
            if len(rows) < page:
                return builder.table()
            last = rows[-1]
            after = {"after_created": last["k_created"], "after_document": last["document_id"],
                     "after_index": last["k_index"]}

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
        rows = [{k: c.get(k) for k in EXPORT_KEYS} for c in connections]
        for row in rows:
            row["id"] = row["id"] or connection_id(row["source_chunk_id"],
                                                   row["target_chunk_id"], row["engine"])
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
        for row in rows:
            if self.n >= self.total:  # rows added since the count: next run's
                return
            vector = base64.b64decode(row["vector"]) if row["vector"] else b""
            if self.matrix is None and vector:
                self.matrix = np.zeros((self.total, len(vector) // 4), dtype=np.float32)
            if self.matrix is not None and len(vector) == self.matrix.shape[1] * 4:
                self.matrix[self.n] = np.frombuffer(vector, dtype="<f4")
            concepts = self.dec_json(row["concepts"]) or []
            self.chunk_ids.append(row["chunk_id"])
            self.document_ids.append(row["document_id"])
            self.importance.append(row["importance"])
            self.polarity.append(row["polarity"])
            self.domains.append(row["domain"])
            self.concepts.append(tuple(c["key"] for c in concepts))
            self.texts.append(tuple(c["text"] for c in concepts))
            self.n += 1

    def table(self) -> ChunkTable:
        matrix = self.matrix if self.matrix is not None else np.zeros((self.total, 1),
                                                                      dtype=np.float32)
        return ChunkTable(
            chunk_ids=self.chunk_ids, document_ids=self.document_ids,
            embeddings=normalise(matrix[: self.n]),
            importance=np.array(self.importance, dtype=np.float32),
            polarity=np.array(self.polarity, dtype=np.float32),
            domains=self.domains, concepts=self.concepts, concept_texts=self.texts)

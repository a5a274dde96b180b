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

    async def library_table(self, user_id: str) -> ChunkTable:
        """The user's whole library as engine columns."""
        rows = await self._run("library_rows", {"user_id": user_id})
        return table_from_rows(rows, self.store.dec_json)

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
            result = await self._run("connection_upsert_many", {
                "rows": self.store.enc_json(rows), "now": self.store.enc_time(now)})
            added += sum(1 for r in result if r["inserted"])
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


def table_from_rows(rows: list[dict[str, Any]], dec_json: Any) -> ChunkTable:
    """Columns straight from store rows: one base64 join and one ``frombuffer`` for all
    vectors (rows without a vector, or of another size, get a zero vector)."""
    raw = [base64.b64decode(r["vector"]) if r["vector"] else b"" for r in rows]
    size = max((len(b) for b in raw), default=0)
    blank = bytes(size)
    matrix = np.frombuffer(b"".join(b if len(b) == size else blank for b in raw),
                           dtype="<f4").reshape(len(rows), size // 4 if size else 0)
    if not size:
        matrix = np.zeros((len(rows), 1), dtype=np.float32)
    concepts = [dec_json(r["concepts"]) or [] for r in rows]
    return ChunkTable(
        chunk_ids=[r["chunk_id"] for r in rows],
        document_ids=[r["document_id"] for r in rows],
        embeddings=normalise(matrix.astype(np.float32)),
        importance=np.array([r["importance"] for r in rows], dtype=np.float32),
        polarity=np.array([r["polarity"] for r in rows], dtype=np.float32),
        domains=[r["domain"] for r in rows],
        concepts=[tuple(c["key"] for c in cs) for cs in concepts],
        concept_texts=[tuple(c["text"] for c in cs) for cs in concepts])

"""What the connection handlers need from the database, as a blocking interface.

Bound to the key ``CONNECTIONS`` by the library; handlers call it from their worker
thread and each call runs on the worker's event loop through the ``LoopBridge``.
"""

from __future__ import annotations

from typing import Any

from jobdock.jobs.clock import Clock
from jobdock.jobs.services import LoopBridge, ServiceKey
from jobdock.library.connections.enrich import Enrichment
from jobdock.library.connections.store import ConnectionStore
from jobdock.library.connections.table import ChunkTable


class ConnectionsRepo:
    def __init__(self, store: ConnectionStore, bridge: LoopBridge, clock: Clock) -> None:
        self.store = store
        self.bridge = bridge
        self.clock = clock

    @classmethod
    def for_worker(cls, env: Any) -> ConnectionsRepo:
        return cls(ConnectionStore(env.store), env.bridge, env.clock)

    def save_enrichments(self, document_id: str,
                         rows: list[tuple[str, Enrichment, Any]], replace: bool = True) -> None:
        self.bridge.call(self.store.enrichment_replace(document_id, rows, replace))

    def library_table(self, user_id: str) -> ChunkTable:
        return self.bridge.call(self.store.library_table(user_id))

    def chunk_ids(self, document_id: str) -> list[str]:
        rows = self.bridge.call(self.store.enrichment_for_document(document_id))
        return [r["chunk_id"] for r in rows]

    def newer_documents(self, document_id: str) -> list[str]:
        return self.bridge.call(self.store.documents_newer_than(document_id))

    def upsert(self, connections: list[dict[str, Any]]) -> int:
        return self.bridge.call(self.store.upsert(connections, self.clock.now()))

    def counts(self, document_id: str) -> dict[str, int]:
        return self.bridge.call(self.store.counts(document_id))

    def validated(self, document_id: str) -> list[dict[str, Any]]:
        return self.bridge.call(self.store.validated(document_id))

    def delete(self, document_id: str, unreviewed_only: bool) -> int:
        return self.bridge.call(self.store.delete_for_document(document_id, unreviewed_only))

    def export_rows(self, document_id: str) -> list[dict[str, Any]]:
        return self.bridge.call(self.store.export_rows(document_id))

    def restore(self, rows: list[dict[str, Any]]) -> int:
        return self.bridge.call(self.store.restore(rows, self.clock.now()))


CONNECTIONS: ServiceKey[ConnectionsRepo] = ServiceKey("connections")

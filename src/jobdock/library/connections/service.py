"""Connections for people: list (grouped, ranked), review, and start the two job types.
Used by the web pages, the JSON API and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from jobdock.admin import AdminService, InvalidRequest
from jobdock.jobs.errors import InvalidInputError
from jobdock.jobs.model import Job, NewJob
from jobdock.library.connections import jobsupport
from jobdock.library.connections.model import ENGINES
from jobdock.library.connections.reprocess import MODES
from jobdock.library.connections.store import ConnectionStore
from jobdock.library.connections.weights import rank, weights_for
from jobdock.library.rows import DocumentRow
from jobdock.library.store.repository import DocumentStore

if TYPE_CHECKING:
    from jobdock.app import Dock

SNIPPET = 280


def selected_engines(value: Any) -> list[str]:
    try:
        return jobsupport.selected_engines(value)
    except InvalidInputError as exc:
        raise InvalidRequest(str(exc)) from exc


class ConnectionService:
    def __init__(self, admin: AdminService, docs: DocumentStore,
                 connections: ConnectionStore) -> None:
        self.admin = admin
        self.docs = docs
        self.connections = connections

    @classmethod
    def of(cls, dock: Dock) -> ConnectionService:
        return cls(dock.admin, DocumentStore(dock.store), ConnectionStore(dock.store))

    async def document(self, document_id: str) -> DocumentRow:
        doc = await self.docs.document_get(document_id)
        if doc is None:
            raise InvalidRequest(f"no document {document_id}")
        return doc

    async def for_document(self, document_id: str, engine: str | None = None,
                           preset: str | None = None) -> list[dict[str, Any]]:
        """The document's connections ranked by the preset's weighted ``score``."""
        weights_for(preset)
        return rank(await self.oriented(document_id, engine), preset)

    async def grouped(self, document_id: str) -> dict[str, list[dict[str, Any]]]:
        """By engine, strongest first."""
        groups: dict[str, list[dict[str, Any]]] = {e: [] for e in ENGINES}
        for conn in await self.oriented(document_id):
            groups[conn["engine"]].append(conn)
        for conns in groups.values():
            conns.sort(key=lambda c: (-c["strength"], c["id"]))
        return groups

    async def oriented(self, document_id: str,
                       engine: str | None = None) -> list[dict[str, Any]]:
        """The document's connections seen from it: ``passage`` is its own chunk,
        ``other`` the other document's; a pair found from both sides shows once."""
        await self.document(document_id)
        if engine:
            selected_engines([engine])
        rows = await self.connections.list_for_document(document_id)
        seen: set[tuple[frozenset[str], str]] = set()
        out = []
        for row in sorted(rows, key=lambda r: r["source_document_id"] != document_id):
            pair = (frozenset((row["source_chunk_id"], row["target_chunk_id"])), row["engine"])
            if pair in seen or (engine and row["engine"] != engine):
                continue
            seen.add(pair)
            out.append(_oriented(row, document_id))
        return out

    async def review(self, connection_id: str, value: bool | None) -> dict[str, Any]:
        row = await self.connections.set_validated(connection_id, value, self.admin.clock.now())
        if row is None:
            raise InvalidRequest(f"no connection {connection_id}")
        return row

    async def detect(self, document_id: str, engines: list[str] | None = None) -> Job:
        doc = await self.document(document_id)
        data: dict[str, Any] = {"document_id": document_id, "trigger": "manual"}
        if engines:
            data["engines"] = selected_engines(engines)
        return await self.admin.submit(NewJob("detect_connections", data,
                                              user_id=doc["user_id"], entity_type="document",
                                              entity_id=document_id))

    async def reprocess(self, document_id: str, mode: str, engines: list[str] | None = None,
                        preserve_validated: bool = True, backup_first: bool = True) -> Job:
        doc = await self.document(document_id)
        if mode not in MODES:
            raise InvalidRequest(f"unknown mode {mode!r} (use {', '.join(MODES)})")
        data = {"document_id": document_id, "mode": mode,
                "engines": selected_engines(engines), "preserveValidated": preserve_validated,
                "backupFirst": backup_first}
        return await self.admin.submit(NewJob("reprocess_connections", data,
                                              user_id=doc["user_id"], entity_type="document",
                                              entity_id=document_id))


def _oriented(row: dict[str, Any], document_id: str) -> dict[str, Any]:
    outgoing = row["source_document_id"] == document_id
    mine, other = ("source", "target") if outgoing else ("target", "source")
    return {
        "id": row["id"], "engine": row["engine"], "strength": row["strength"],
        "explanation": row["metadata"].get("explanation", ""), "metadata": row["metadata"],
        "user_validated": row["user_validated"], "discovered_at": row["discovered_at"],
        "source_chunk_id": row["source_chunk_id"], "target_chunk_id": row["target_chunk_id"],
        "passage": {"chunk_id": row[f"{mine}_chunk_id"],
                    "chunk_index": row[f"{mine}_chunk_index"],
                    "text": _snippet(row[f"{mine}_content"])},
        "other": {"chunk_id": row[f"{other}_chunk_id"],
                  "chunk_index": row[f"{other}_chunk_index"],
                  "document_id": row[f"{other}_document_id"],
                  "title": row[f"{other}_title"], "text": _snippet(row[f"{other}_content"])},
    }


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET else flat[:SNIPPET - 1].rsplit(" ", 1)[0] + "…"

"""The integrations' tables (annotations, settings, sync state, review queue) as named
queries over the engine store; their schema is the library's migration 0003_integrations.

Rows travel as plain dicts with JSON decoded and times as ISO strings. The settings row
carries the Readwise token: :meth:`IntegrationStore.settings_get` drops it and says only
whether one is set; :meth:`IntegrationStore.readwise_token` is for the import job alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from jobdock.store import Store
from jobdock.store.queries import load_queries

PACKAGE = "jobdock.library.integrations.store"
_JSON = ("tags", "highlight", "conflict")
_TIMES = ("created_at", "updated_at", "last_synced_at", "decided_at")
_BOOLS = ("sync_annotations",)


class IntegrationStore:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = load_queries(store.dialect, PACKAGE)

    async def fetch(self, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows = await self.store.execute(self.queries[name], params)
        return [self._decode(r) for r in rows]

    async def fetch_in_transaction(
            self, steps: Sequence[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
        results = await self.store.execute_in_transaction(
            [(self.queries[name], params) for name, params in steps])
        return [[self._decode(r) for r in rows] for rows in results]

    def _decode(self, row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for name in _JSON:
            if name in out:
                out[name] = self.store.dec_json(out[name])
        for name in _TIMES:
            if out.get(name) is not None:
                value = self.store.dec_time(out[name])
                out[name] = value.isoformat() if value else None
        for name in _BOOLS:
            if name in out:
                out[name] = bool(out[name])
        return out

    def _t(self, now: datetime) -> Any:
        return self.store.enc_time(now)

    # ---- annotations ---------------------------------------------------------------
    def annotation_params(self, ann: dict[str, Any], now: datetime) -> dict[str, Any]:
        created = ann.get("created_at")
        return {
            "id": ann.get("id") or str(uuid.uuid4()), "user_id": ann["user_id"],
            "document_id": ann["document_id"], "start_offset": int(ann["start_offset"]),
            "end_offset": int(ann["end_offset"]), "quote": ann["quote"],
            "note": ann.get("note") or "", "color": ann.get("color") or "yellow",
            "tags": self.store.enc_json(list(ann.get("tags") or [])),
            "source": ann.get("source") or "manual", "external_id": ann.get("external_id"),
            "chunk_id": ann.get("chunk_id"), "chunk_index": ann.get("chunk_index"),
            "anchor_method": ann.get("anchor_method") or "exact",
            "anchor_confidence": float(ann.get("anchor_confidence", 1.0)),
            "created_at": self._t(_parse_time(created) or now), "now": self._t(now)}

    async def annotation_insert(self, ann: dict[str, Any],
                                now: datetime) -> dict[str, Any] | None:
        """The new row, or None when that highlight was imported before."""
        rows = await self.fetch("annotation_insert", self.annotation_params(ann, now))
        return rows[0] if rows else None

    async def import_page(self, annotations: Sequence[dict[str, Any]],
                          reviews: Sequence[dict[str, Any]], now: datetime) -> tuple[int, int]:
        """Insert a page of annotations and review entries in one transaction; returns how
        many of each were new (the rest had been imported before)."""
        steps = [("annotation_insert", self.annotation_params(a, now)) for a in annotations]
        steps += [("review_insert", self.review_params(r, now)) for r in reviews]
        if not steps:
            return 0, 0
        results = await self.fetch_in_transaction(steps)
        added = sum(1 for rows in results[:len(annotations)] if rows)
        return added, sum(1 for rows in results[len(annotations):] if rows)

    async def annotation_get(self, annotation_id: str,
                             user_id: str | None = None) -> dict[str, Any] | None:
        rows = await self.fetch("annotation_get", {"id": annotation_id, "user_id": user_id})
        return rows[0] if rows else None

    async def annotation_list(self, document_id: str,
                              user_id: str | None = None) -> list[dict[str, Any]]:
        return await self.fetch("annotation_list", {"document_id": document_id,
                                                    "user_id": user_id})

    async def annotation_set_anchors(self, moves: Sequence[dict[str, Any]],
                                     now: datetime) -> None:
        """Move many annotations at once (one transaction)."""
        if moves:
            await self.fetch_in_transaction([("annotation_set_anchor", {
                **{k: m.get(k) for k in ("id", "start_offset", "end_offset", "quote",
                                         "chunk_id", "chunk_index", "anchor_method",
                                         "anchor_confidence")},
                "now": self._t(now)}) for m in moves])

    async def annotation_delete(self, annotation_id: str, user_id: str | None = None) -> bool:
        return bool(await self.fetch("annotation_delete", {"id": annotation_id,
                                                           "user_id": user_id}))

    # ---- connections (the connections table is the library's, when it exists) ----------
    async def connection_links(self, document_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """Documents this one connects to: ``{document_id, title, type, strength}``."""
        if not await self.fetch("connections_table_present", {}):
            return []
        return await self.fetch("connection_links", {"document_id": document_id,
                                                     "limit": limit})

    # ---- settings ------------------------------------------------------------------
    async def settings_get(self, user_id: str) -> dict[str, Any] | None:
        """A user's settings without the token (``readwise_token_set`` says if one is)."""
        rows = await self.fetch("settings_get", {"user_id": user_id})
        if not rows:
            return None
        row = rows[0]
        row["readwise_token_set"] = bool(row.pop("readwise_token", None))
        return row

    async def readwise_token(self, user_id: str) -> str | None:
        rows = await self.fetch("settings_get", {"user_id": user_id})
        return rows[0]["readwise_token"] if rows else None

    async def settings_upsert(self, user_id: str, values: dict[str, Any],
                              now: datetime) -> dict[str, Any]:
        await self.fetch("settings_upsert", {
            "user_id": user_id, "vault_path": values.get("vault_path"),
            "vault_name": values.get("vault_name"),
            "export_folder": values.get("export_folder") or "jobdock",
            "sync_annotations": bool(values.get("sync_annotations", True)),
            "readwise_base_url": values.get("readwise_base_url"),
            "readwise_every_hours": values.get("readwise_every_hours"), "now": self._t(now)})
        return await self.settings_get(user_id) or {}

    async def settings_set_token(self, user_id: str, token: str | None, now: datetime) -> None:
        await self.fetch("settings_set_token", {"user_id": user_id, "token": token,
                                                "now": self._t(now)})

    async def settings_set_synced_until(self, user_id: str, value: str, now: datetime) -> None:
        await self.fetch("settings_set_synced_until", {"user_id": user_id,
                                                       "synced_until": value,
                                                       "now": self._t(now)})

    async def settings_list_scheduled(self) -> list[dict[str, Any]]:
        return await self.fetch("settings_list_scheduled", {})

    # ---- Obsidian sync state ---------------------------------------------------------
    async def sync_state_get(self, document_id: str) -> dict[str, Any] | None:
        rows = await self.fetch("sync_state_get", {"document_id": document_id})
        return rows[0] if rows else None

    async def sync_state_record(self, *, document_id: str, user_id: str, vault_root: str,
                                note_path: str, vault_hash: str, library_hash: str,
                                direction: str, now: datetime) -> dict[str, Any]:
        rows = await self.fetch("sync_state_upsert", {
            "document_id": document_id, "user_id": user_id, "vault_root": vault_root,
            "note_path": note_path, "vault_hash": vault_hash, "library_hash": library_hash,
            "direction": direction, "now": self._t(now)})
        return rows[0]

    async def sync_state_set_conflict(self, document_id: str, conflict: dict[str, Any] | None,
                                      now: datetime) -> dict[str, Any] | None:
        rows = await self.fetch("sync_state_set_conflict", {
            "document_id": document_id, "now": self._t(now),
            "conflict": self.store.enc_json(conflict) if conflict is not None else None})
        return rows[0] if rows else None

    async def sync_state_list(self, user_id: str, limit: int = 100) -> list[dict[str, Any]]:
        return await self.fetch("sync_state_list", {"user_id": user_id, "limit": limit})

    # ---- review queue ----------------------------------------------------------------
    async def review_insert(self, entry: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        rows = await self.fetch("review_insert", self.review_params(entry, now))
        return rows[0] if rows else None

    def review_params(self, entry: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {
            "id": entry.get("id") or str(uuid.uuid4()), "user_id": entry["user_id"],
            "document_id": entry["document_id"], "source": entry["source"],
            "external_id": entry["external_id"],
            "highlight": self.store.enc_json(entry["highlight"]),
            "suggested_start": entry["suggested_start"],
            "suggested_end": entry["suggested_end"],
            "suggested_text": entry["suggested_text"], "confidence": entry["confidence"],
            "method": entry.get("method") or "fuzzy", "now": self._t(now)}

    async def review_get(self, review_id: str, user_id: str) -> dict[str, Any] | None:
        rows = await self.fetch("review_get", {"id": review_id, "user_id": user_id})
        return rows[0] if rows else None

    async def review_list(self, user_id: str, status: str | None = "pending",
                          limit: int = 200) -> list[dict[str, Any]]:
        return await self.fetch("review_list", {"user_id": user_id, "status": status,
                                                "limit": limit})

    async def review_accept(self, review_id: str, user_id: str, annotation: dict[str, Any],
                            now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Mark accepted and create its annotation, in one transaction.

        Returns (entry, annotation); entry None means it was not pending any more.
        """
        annotation_id = str(uuid.uuid4())
        decided, created = await self.fetch_in_transaction([
            ("review_decide", {"id": review_id, "user_id": user_id, "status": "accepted",
                               "annotation_id": annotation_id, "now": self._t(now)}),
            ("annotation_insert_from_review", {
                "id": annotation_id, "review_id": review_id, "user_id": user_id,
                "note": annotation.get("note") or "",
                "color": annotation.get("color") or "yellow",
                "tags": self.store.enc_json(list(annotation.get("tags") or [])),
                "chunk_id": annotation.get("chunk_id"),
                "chunk_index": annotation.get("chunk_index"), "now": self._t(now)})])
        return (decided[0] if decided else None), (created[0] if created else None)

    async def review_reject(self, review_id: str, user_id: str,
                            now: datetime) -> dict[str, Any] | None:
        rows = await self.fetch("review_decide", {"id": review_id, "user_id": user_id,
                                                  "status": "rejected", "annotation_id": None,
                                                  "now": self._t(now)})
        return rows[0] if rows else None


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None

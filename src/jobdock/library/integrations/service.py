"""Integration actions for the CLI, the JSON API and the web pages.

Settings (the Readwise token is write-only), annotations, the review queue, and the
three jobs (``obsidian_export``, ``obsidian_sync``, ``readwise_import``) submitted
through the admin service. Bad input raises :class:`InvalidRequest` before anything
is written.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from pathlib import PurePath, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jobdock.admin import AdminService, InvalidRequest
from jobdock.admin.errors import ScheduleNotFound
from jobdock.jobs.model import Job, NewJob
from jobdock.library.files import document_prefix
from jobdock.library.integrations.highlights import COLORS
from jobdock.library.integrations.library_text import ChunkIndex
from jobdock.library.integrations.readwise_files import MalformedExport, parse_export
from jobdock.library.integrations.store import IntegrationStore
from jobdock.library.integrations.vault import Vault, VaultError
from jobdock.library.rows import DocumentRow
from jobdock.library.service import check_user_id
from jobdock.library.store.repository import DocumentStore

if TYPE_CHECKING:
    from jobdock.app import Dock

MAX_EXPORT_BYTES = 50 * 1024 * 1024
SETTING_KEYS = ("vault_path", "vault_name", "export_folder", "sync_annotations",
                "readwise_base_url", "readwise_every_hours")


class IntegrationService:
    def __init__(self, admin: AdminService, store: IntegrationStore,
                 docs: DocumentStore) -> None:
        self.admin = admin
        self.store = store
        self.docs = docs
        self.clock = admin.clock

    @classmethod
    def of(cls, dock: Dock) -> IntegrationService:
        return cls(dock.admin, IntegrationStore(dock.store), DocumentStore(dock.store))

    # ---- settings ------------------------------------------------------------------
    async def settings(self, user_id: str) -> dict[str, Any]:
        check_user_id(user_id)
        found = await self.store.settings_get(user_id)
        return found or {"user_id": user_id, "vault_path": None, "vault_name": None,
                         "export_folder": "jobdock", "sync_annotations": True,
                         "readwise_base_url": None, "readwise_every_hours": None,
                         "readwise_token_set": False, "readwise_synced_until": None}

    async def save_settings(self, user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge ``changes`` into the settings; the vault must exist and be writable."""
        current = await self.settings(user_id)
        values = {k: current.get(k) for k in SETTING_KEYS}
        values.update({k: v for k, v in changes.items() if k in SETTING_KEYS})
        values = _validated(values)
        if values["vault_path"]:
            try:
                await asyncio.to_thread(Vault(values["vault_path"]).check)
            except VaultError as exc:
                raise InvalidRequest(str(exc)) from None
        saved = await self.store.settings_upsert(user_id, values, self.clock.now())
        if values["readwise_every_hours"] != current.get("readwise_every_hours"):
            await self._schedule_import(user_id, values["readwise_every_hours"])
        return saved

    async def _schedule_import(self, user_id: str, hours: int | None) -> None:
        """"Import from Readwise every N hours" is one of the engine's periodic schedules
        (one job per period however many workers run; listed with the others)."""
        name = schedule_name(user_id)
        if hours is None:
            with contextlib.suppress(ScheduleNotFound):
                await self.admin.schedule_remove(name)
            return
        await self.admin.schedule_add(self.admin.schedule_from(
            name, "readwise_import", every=timedelta(hours=hours),
            input_data={"source": "api"}, user_id=user_id))

    async def set_readwise_token(self, user_id: str, token: str | None) -> None:
        check_user_id(user_id)
        token = (token or "").strip() or None
        if token is not None and (len(token) > 500 or any(c.isspace() for c in token)):
            raise InvalidRequest("a Readwise token is one word of at most 500 characters")
        await self.store.settings_set_token(user_id, token, self.clock.now())

    # ---- annotations ---------------------------------------------------------------
    async def document(self, document_id: str, user_id: str) -> DocumentRow:
        doc = await self.docs.document_get(document_id, user_id)
        if doc is None:
            raise InvalidRequest(f"no document {document_id} for user {user_id}")
        return doc

    async def document_text(self, doc: DocumentRow) -> str | None:
        key = f"{document_prefix(doc['user_id'], doc['id'])}/content.md"
        data = await asyncio.to_thread(self.admin.storage.get, key)
        return data.decode("utf-8") if data is not None else None

    async def annotations(self, document_id: str, user_id: str) -> list[dict[str, Any]]:
        await self.document(document_id, user_id)
        return await self.store.annotation_list(document_id, user_id)

    async def add_annotation(self, user_id: str, document_id: str, *, start: int | None = None,
                             end: int | None = None, quote: str | None = None, note: str = "",
                             color: str = "yellow",
                             tags: list[str] | None = None) -> dict[str, Any]:
        """A manual annotation at ``start``..``end``, or at the first exact ``quote``."""
        doc = await self.document(document_id, user_id)
        text = await self.document_text(doc)
        if text is None:
            raise InvalidRequest(f"{doc['title']!r} has no text yet (still processing?)")
        start, end = _span(text, start, end, quote)
        if color not in COLORS:
            raise InvalidRequest(f"colour must be one of {', '.join(COLORS)}")
        chunks = ChunkIndex(await self.docs.chunk_list(document_id))
        row = await self.store.annotation_insert({
            "user_id": user_id, "document_id": document_id, "start_offset": start,
            "end_offset": end, "quote": text[start:end], "note": note, "color": color,
            "tags": tags or [], "source": "manual", **chunks.ref(start)}, self.clock.now())
        assert row is not None  # manual annotations have no external id to clash on
        return row

    async def delete_annotation(self, user_id: str, annotation_id: str) -> None:
        if not await self.store.annotation_delete(annotation_id, user_id):
            raise InvalidRequest(f"no annotation {annotation_id} for user {user_id}")

    # ---- review queue --------------------------------------------------------------
    async def review_list(self, user_id: str, status: str | None = "pending",
                          limit: int = 200) -> list[dict[str, Any]]:
        check_user_id(user_id)
        if status not in (None, "pending", "accepted", "rejected"):
            raise InvalidRequest("status is pending, accepted or rejected")
        return await self.store.review_list(user_id, status, limit)

    async def review_accept(self, user_id: str, review_id: str) -> dict[str, Any]:
        entry = await self._pending(user_id, review_id)
        highlight = entry["highlight"] or {}
        chunks = ChunkIndex(await self.docs.chunk_list(entry["document_id"]))
        decided, annotation = await self.store.review_accept(review_id, user_id, {
            "note": highlight.get("note"), "color": highlight.get("color"),
            "tags": ["readwise-import", *(highlight.get("tags") or [])],
            **chunks.ref(entry["suggested_start"])}, self.clock.now())
        if decided is None:
            raise InvalidRequest(f"review entry {review_id} was already decided")
        return {"review": decided, "annotation": annotation}

    async def review_reject(self, user_id: str, review_id: str) -> dict[str, Any]:
        await self._pending(user_id, review_id)
        decided = await self.store.review_reject(review_id, user_id, self.clock.now())
        if decided is None:
            raise InvalidRequest(f"review entry {review_id} was already decided")
        return decided

    async def _pending(self, user_id: str, review_id: str) -> dict[str, Any]:
        entry = await self.store.review_get(review_id, user_id)
        if entry is None:
            raise InvalidRequest(f"no review entry {review_id} for user {user_id}")
        if entry["status"] != "pending":
            raise InvalidRequest(f"review entry {review_id} was already {entry['status']}")
        return entry

    # ---- jobs ----------------------------------------------------------------------
    async def export(self, user_id: str, document_id: str, force: bool = False) -> Job:
        return await self._document_job("obsidian_export", user_id, document_id,
                                        {"force": True} if force else {})

    async def sync(self, user_id: str, document_id: str, prefer: str | None = None) -> Job:
        """Sync; ``prefer`` ("vault" or "library") resolves a conflict for that side."""
        if prefer not in (None, "vault", "library"):
            raise InvalidRequest("prefer is vault or library")
        return await self._document_job("obsidian_sync", user_id, document_id,
                                        {"prefer": prefer} if prefer else {})

    async def _document_job(self, job_type: str, user_id: str, document_id: str,
                            extra: dict[str, Any]) -> Job:
        await self.document(document_id, user_id)
        settings = await self.settings(user_id)
        if not settings.get("vault_path"):
            raise InvalidRequest("set the Obsidian vault path in the integration settings "
                                 "first")
        return await self.admin.submit(NewJob(job_type, {"document_id": document_id, **extra},
                                              user_id=user_id, entity_type="document",
                                              entity_id=document_id))

    async def import_file(self, user_id: str, filename: str, data: bytes,
                          document_id: str | None = None) -> Job:
        """Check and store a Readwise export file, then start importing it."""
        check_user_id(user_id)
        if len(data) > MAX_EXPORT_BYTES:
            raise InvalidRequest(f"the export is larger than {MAX_EXPORT_BYTES // 2**20} MiB")
        try:
            highlights = parse_export(data, filename)
        except MalformedExport as exc:
            raise InvalidRequest(str(exc)) from None
        if document_id:
            await self.document(document_id, user_id)
        name = PurePath(filename).name or "export"
        key = f"integrations/{user_id}/readwise/{uuid.uuid4().hex[:12]}-{name}"
        await asyncio.to_thread(self.admin.storage.put, key, data)
        return await self.admin.submit(NewJob(
            "readwise_import", {"source": "file", "file_key": key, "filename": name,
                                "document_id": document_id, "highlights": len(highlights)},
            user_id=user_id, entity_type="document" if document_id else None,
            entity_id=document_id))

    async def import_api(self, user_id: str, document_id: str | None = None,
                         updated_after: str | None = None) -> Job:
        settings = await self.settings(user_id)
        if not settings.get("readwise_token_set"):
            raise InvalidRequest("set a Readwise token in the integration settings first")
        if document_id:
            await self.document(document_id, user_id)
        return await self.admin.submit(NewJob(
            "readwise_import", {"source": "api", "document_id": document_id,
                                "updated_after": updated_after},
            user_id=user_id, entity_type="document" if document_id else None,
            entity_id=document_id))

    async def sync_states(self, user_id: str) -> list[dict[str, Any]]:
        check_user_id(user_id)
        return await self.store.sync_state_list(user_id)


def schedule_name(user_id: str) -> str:
    return f"readwise_import/{user_id}"


def _span(text: str, start: int | None, end: int | None,
          quote: str | None) -> tuple[int, int]:
    if quote:
        at = text.find(quote)
        if at < 0:
            raise InvalidRequest("the quote does not occur in the document's text")
        return at, at + len(quote)
    if start is None or end is None or not 0 <= start < end <= len(text):
        raise InvalidRequest(f"an annotation needs 0 <= start < end <= {len(text)}")
    return start, end


def _validated(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    out["vault_path"] = (str(out.get("vault_path") or "").strip() or None)
    out["vault_name"] = (str(out.get("vault_name") or "").strip() or None)
    folder = str(out.get("export_folder") or "jobdock").strip().strip("/")
    parts = PurePosixPath(folder).parts
    if not folder or any(p in ("..", ".") for p in parts) or folder.startswith("~"):
        raise InvalidRequest("the export folder must be a plain folder path inside the vault")
    out["export_folder"] = folder
    out["sync_annotations"] = _bool(out.get("sync_annotations", True))
    hours = out.get("readwise_every_hours")
    if hours in (None, "", 0, "0"):
        out["readwise_every_hours"] = None
    else:
        try:
            out["readwise_every_hours"] = int(hours)
        except (TypeError, ValueError):
            raise InvalidRequest("import every N hours needs a whole number") from None
        if not 1 <= out["readwise_every_hours"] <= 24 * 30:
            raise InvalidRequest("import every N hours: N from 1 to 720")
    url = str(out.get("readwise_base_url") or "").strip() or None
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise InvalidRequest("the Readwise address must be an http(s) URL")
    out["readwise_base_url"] = url
    return out


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)

"""Document actions for the CLI and the web UI: add, list, show, export, import.

Adding stores the source file, creates the document row and submits ``process_document``;
exports and imports are jobs too. Everything goes through the admin service.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from jobdock.admin import AdminService, InvalidRequest
from jobdock.jobs.model import Job, NewJob
from jobdock.library.files import document_prefix, source_key
from jobdock.library.store.repository import DocumentStore

if TYPE_CHECKING:
    from jobdock.app import Dock

SOURCE_TYPES = {".pdf": "pdf", ".epub": "epub", ".html": "html", ".htm": "html",
                ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
MAX_SOURCE_BYTES = 200 * 1024 * 1024
# user ids become storage path segments: keep them to a safe, readable alphabet
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")


def check_user_id(user_id: str) -> str:
    if not _USER_ID.match(user_id or ""):
        raise InvalidRequest("user id must be 1-100 letters, digits or . _ @ + - "
                             "(starting with a letter or digit)")
    return user_id


class DocumentService:
    def __init__(self, admin: AdminService, docs: DocumentStore) -> None:
        self.admin = admin
        self.store = docs
        self.storage = admin.storage

    @classmethod
    def of(cls, dock: Dock) -> DocumentService:
        return cls(dock.admin, DocumentStore(dock.store))

    async def add(self, user_id: str, filename: str, data: bytes, *,
                  embedder: str = "hashing",
                  title: str | None = None) -> tuple[dict[str, Any], Job]:
        """Store a source file and start processing it."""
        name = PurePath(filename).name
        if not name:
            raise InvalidRequest("a document needs a file name")
        if len(data) > MAX_SOURCE_BYTES:
            raise InvalidRequest(f"{name} is larger than {MAX_SOURCE_BYTES // 2**20} MiB")
        check_user_id(user_id)
        suffix = PurePath(name).suffix.lower()
        suffix = suffix if _SUFFIX.match(suffix) else ""
        document_id = str(uuid.uuid4())
        key = source_key(user_id, document_id, suffix)
        await asyncio.to_thread(self.storage.put, key, data)
        doc = await self.store.document_insert(
            user_id=user_id, title=title or PurePath(name).stem, document_id=document_id,
            source_type=SOURCE_TYPES.get(suffix, "unknown"), filename=name, storage_path=key,
            now=self.admin.clock.now())
        job = await self.admin.submit(NewJob(
            "process_document", {"document_id": document_id, "embedder": embedder},
            user_id=user_id, entity_type="document", entity_id=document_id))
        return doc, job

    async def list_documents(self, user_id: str | None = None,
                             limit: int = 100) -> list[dict[str, Any]]:
        return await self.store.document_list(user_id, limit)

    async def get(self, document_id: str, user_id: str | None = None) -> dict[str, Any]:
        doc = await self.store.document_get(document_id, user_id)
        if doc is None:
            raise InvalidRequest(f"no document with id {document_id}")
        return doc

    async def chunks(self, document_id: str) -> list[dict[str, Any]]:
        return await self.store.chunk_list(document_id)

    async def export(self, user_id: str, document_ids: list[str]) -> Job:
        for doc_id in document_ids:
            await self.get(doc_id, user_id)
        return await self.admin.submit(NewJob(
            "export_documents", {"document_ids": document_ids}, user_id=user_id,
            entity_type="document", entity_id=document_ids[0]))

    async def import_files(self, user_id: str, files: dict[str, bytes], *, title: str,
                           strategy: str = "replace", document_id: str | None = None,
                           embedder: str | None = None) -> tuple[dict[str, Any], Job]:
        """Store a document's final files (e.g. from an export) and start importing them."""
        check_user_id(user_id)
        if "chunks.json" not in files:
            raise InvalidRequest("an import needs a chunks.json")
        document_id = document_id or str(uuid.uuid4())
        prefix = document_prefix(user_id, document_id)
        for name, data in files.items():
            await asyncio.to_thread(self.storage.put, f"{prefix}/{name}", data)
        doc = await self.store.document_get(document_id)
        if doc is None:
            doc = await self.store.document_insert(
                user_id=user_id, title=title, source_type="import", filename=None,
                storage_path=f"{prefix}/chunks.json", document_id=document_id,
                now=self.admin.clock.now())
        job = await self.admin.submit(NewJob(
            "import_document", {"document_id": document_id, "strategy": strategy,
                                "source_prefix": prefix, "embedder": embedder},
            user_id=user_id, entity_type="document", entity_id=document_id))
        return doc, job

"""Document actions for the CLI and the web UI: add, list, show, export, import.

Adding stores the source file, creates the document row and submits ``process_document``;
exports and imports are jobs too. Everything goes through the admin service.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from jobdock.admin import AdminService, InvalidRequest
from jobdock.jobs.model import Job, JobStatus, NewJob
from jobdock.library.files import document_prefix, source_key
from jobdock.library.rows import ChunkRow, DocumentRow
from jobdock.library.store.repository import DocumentStore
from jobdock.store import JobFilter

if TYPE_CHECKING:
    from jobdock.app import Dock

SOURCE_TYPES = {".pdf": "pdf", ".epub": "epub", ".html": "html", ".htm": "html",
                ".md": "markdown", ".markdown": "markdown", ".txt": "text"}
MAX_SOURCE_BYTES = 200 * 1024 * 1024
# user ids become storage path segments: keep them to a safe, readable alphabet
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")
IMPORT_STRATEGIES = ("skip", "replace", "merge_smart")
# What the first bytes of a source must look like; text types must not look binary.
_MAGIC = {".pdf": (b"%PDF-",), ".epub": (b"PK\x03\x04",)}


class UnsupportedType(InvalidRequest):
    """An upload jobdock cannot read (the web answers 415)."""


class TooLarge(InvalidRequest):
    """An upload beyond the size limit (the web answers 413)."""


def check_source_type(name: str, data: bytes) -> str:
    """The upload's suffix, once its name and first bytes say jobdock can read it."""
    suffix = PurePath(name).suffix.lower()
    known = ", ".join(sorted(SOURCE_TYPES))
    if not _SUFFIX.match(suffix) or suffix not in SOURCE_TYPES:
        what = suffix or "files without a suffix"
        raise UnsupportedType(f"{name}: jobdock cannot read {what} (it reads {known})")
    magic = _MAGIC.get(suffix)
    if magic is not None and not data.startswith(magic):
        raise UnsupportedType(f"{name} is not a {SOURCE_TYPES[suffix].upper()} file "
                              "(its first bytes say otherwise)")
    if magic is None and b"\0" in data[:8192]:
        raise UnsupportedType(f"{name} is binary, not {SOURCE_TYPES[suffix]} text")
    return suffix
IN_FLIGHT = (JobStatus.PENDING.value, JobStatus.PROCESSING.value, JobStatus.PAUSED.value)


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
                  title: str | None = None) -> tuple[DocumentRow, Job]:
        """Store a source file and start processing it."""
        name = PurePath(filename).name
        if not name:
            raise InvalidRequest("a document needs a file name")
        if len(data) > MAX_SOURCE_BYTES:
            raise TooLarge(f"{name} is larger than {MAX_SOURCE_BYTES // 2**20} MiB")
        check_user_id(user_id)
        suffix = check_source_type(name, data)
        document_id = str(uuid.uuid4())
        key = source_key(user_id, document_id, suffix)
        await asyncio.to_thread(self.storage.put, key, data)
        try:
            doc = await self.store.document_insert(
                user_id=user_id, title=title or PurePath(name).stem, document_id=document_id,
                source_type=SOURCE_TYPES[suffix], filename=name, storage_path=key,
                now=self.admin.clock.now())
            job = await self.admin.submit(NewJob(
                "process_document", {"document_id": document_id, "embedder": embedder},
                user_id=user_id, entity_type="document", entity_id=document_id,
                metadata={"title": doc["title"]}))  # the UI titles the job by its document
        except BaseException:  # a refused upload leaves nothing behind
            await asyncio.to_thread(self.storage.delete, key)
            with contextlib.suppress(Exception):
                await self.store.document_delete(document_id)
            raise
        return doc, job

    async def list_documents(self, user_id: str | None = None,
                             limit: int = 100) -> list[DocumentRow]:
        return await self.store.document_list(user_id, limit)

    async def get(self, document_id: str, user_id: str | None = None) -> DocumentRow:
        doc = await self.store.document_get(document_id, user_id)
        if doc is None:
            raise InvalidRequest(f"no document with id {document_id}")
        return doc

    async def chunks(self, document_id: str) -> list[ChunkRow]:
        return await self.store.chunk_list(document_id)

    async def export(self, user_id: str, document_ids: list[str],
                     include_connections: bool = False) -> Job:
        """Start ``export_documents``; with ``include_connections`` each document's
        ``connections.json`` goes into the ZIP too (an import restores them)."""
        if not document_ids:
            raise InvalidRequest("choose at least one document to export")
        titles = [(await self.get(doc_id, user_id))["title"] for doc_id in document_ids]
        title = titles[0] if len(titles) == 1 else f"{titles[0]} and {len(titles) - 1} more"
        data: dict[str, Any] = {"document_ids": document_ids}
        if include_connections:
            data["includeConnections"] = True
        return await self.admin.submit(NewJob(
            "export_documents", data, user_id=user_id,
            entity_type="document", entity_id=document_ids[0], metadata={"title": title}))

    async def import_files(self, user_id: str, files: dict[str, bytes], *, title: str,
                           strategy: str = "replace", document_id: str | None = None,
                           embedder: str | None = None, info: dict[str, Any] | None = None
                           ) -> tuple[DocumentRow, Job | None]:
        """Store a document's final files (e.g. from an export) and start importing them.

        ``document_id`` (the exported id) is kept unless another user owns it, so importing
        the same ZIP again meets the same documents: ``skip`` leaves an existing one alone
        (no job: None), ``replace`` and ``merge_smart`` re-import its chunks. ``info`` (the
        export manifest's entry) restores the source type, file name, page count, embedder
        and metadata (outline).
        """
        check_user_id(user_id)
        if strategy not in IMPORT_STRATEGIES:
            raise InvalidRequest(f"unknown strategy {strategy!r} (use "
                                 f"{', '.join(IMPORT_STRATEGIES)})")
        if "chunks.json" not in files:
            raise InvalidRequest("an import needs a chunks.json")
        info = info or {}
        existing = await self.store.document_get(document_id) if document_id else None
        if existing is not None and existing["user_id"] != user_id:
            existing, document_id = None, None  # someone else's: import as a new document
        if existing is not None and strategy == "skip":
            return existing, None
        document_id = document_id or str(uuid.uuid4())
        prefix = document_prefix(user_id, document_id)
        for name, data in files.items():
            await asyncio.to_thread(self.storage.put, f"{prefix}/{name}", data)
        doc = existing or await self._insert_imported(user_id, document_id, title, info)
        job = await self.admin.submit(NewJob(
            "import_document", {"document_id": document_id, "strategy": strategy,
                                "source_prefix": prefix, "embedder": embedder},
            user_id=user_id, entity_type="document", entity_id=document_id,
            metadata={"title": doc["title"]}))
        return doc, job

    async def _insert_imported(self, user_id: str, document_id: str, title: str,
                               info: dict[str, Any]) -> DocumentRow:
        now = self.admin.clock.now()
        doc = await self.store.document_insert(
            user_id=user_id, title=info.get("title") or title,
            source_type=info.get("source_type") or "import", filename=info.get("filename"),
            storage_path=f"{document_prefix(user_id, document_id)}/chunks.json",
            document_id=document_id, now=now,
            metadata=info.get("metadata") if isinstance(info.get("metadata"), dict) else None)
        if info.get("page_count") is not None or info.get("embedder"):
            await self.store.document_set_processed(
                document_id, now, page_count=info.get("page_count"),
                word_count=info.get("word_count"), embedder=info.get("embedder"))
            doc = await self.get(document_id)
        return doc

    async def delete(self, document_id: str, user_id: str | None = None) -> dict[str, Any]:
        """Delete a document, its chunks and every file stored under it.

        Refused while one of its jobs is pending, running or paused (cancel that first).
        """
        doc = await self.get(document_id, user_id)
        busy = [j for j in await self.admin.list_jobs(JobFilter(
                    statuses=IN_FLIGHT, user_id=doc["user_id"], limit=500))
                if j.entity_id == document_id]
        if busy:
            raise InvalidRequest(f"document {document_id} has a {busy[0].status} job "
                                 f"{busy[0].id} ({busy[0].job_type}); cancel it first")
        prefix = document_prefix(doc["user_id"], document_id)
        keys = await asyncio.to_thread(self.storage.list, prefix + "/")
        files = await asyncio.to_thread(self.storage.delete_many, keys)
        chunks = doc.get("chunk_count") or 0
        await self.store.document_delete(document_id)
        return {"id": document_id, "title": doc["title"], "deleted": True,
                "chunks_deleted": chunks, "files_deleted": files}

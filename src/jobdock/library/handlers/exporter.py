"""``export_documents``: one ZIP of N processed documents, written to storage.

Layout: ``{document_id}/content.md|chunks.json|metadata.json|manifest.json`` per document
and a top-level ``manifest.json``; stored at ``{user_id}/exports/export-{timestamp}.zip``.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections import hooks as connection_hooks
from jobdock.library.files import FINAL_FILES, document_prefix, encode
from jobdock.library.repo import DOCUMENTS, DocumentRepo

STAGES = (Stage("metadata", 5), Stage("creating_zip", 5), Stage("processing_documents", 70),
          Stage("finalizing", 5), Stage("generating", 5), Stage("saving", 5), Stage("url", 3),
          Stage("complete", 2))
# What an import restores besides the files (the top-level manifest carries it per document).
EXPORTED_FIELDS = ("id", "title", "source_type", "filename", "user_id", "created_at",
                   "page_count", "word_count", "embedder", "metadata")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # zip entries carry a fixed time: same input, same bytes


def export_documents(ctx: JobContext) -> dict[str, Any]:
    """Bundle documents' final files into one ZIP in storage."""
    repo = ctx.service(DOCUMENTS)
    ids = ctx.input.get("document_ids")
    if not isinstance(ids, list) or not ids:
        raise InvalidInputError("document_ids must be a non-empty list")
    user_id = ctx.job.user_id or "anonymous"
    docs = ctx.run_stage("metadata", _metadata, repo, [str(i) for i in ids], user_id)
    stamp = ctx.job.created_at.strftime("%Y%m%dT%H%M%SZ")
    name = ctx.run_stage("creating_zip", lambda: f"export-{stamp}.zip")
    entries = ctx.run_stage("processing_documents", _collect, ctx, docs)
    manifest = ctx.run_stage("finalizing", _manifest, docs, entries, stamp)
    size = ctx.run_stage("generating", _generate, ctx, entries, manifest)
    key = ctx.run_stage("saving", _save, ctx, user_id, name)
    ctx.run_stage("url", lambda: key)
    return ctx.run_stage("complete", lambda: {
        "success": True, "storage_key": key, "zip_filename": name, "size_bytes": size,
        "document_count": len(docs)})


def _metadata(repo: DocumentRepo, ids: list[str], user_id: str) -> list[dict[str, Any]]:
    docs = []
    for doc_id in ids:
        doc = repo.get(doc_id)
        if doc is None or doc["user_id"] != user_id:
            raise PermanentError(f"document {doc_id} does not exist for user {user_id}")
        docs.append({k: doc.get(k) for k in EXPORTED_FIELDS})
    return docs


def _collect(ctx: JobContext, docs: list[dict[str, Any]]) -> list[list[str]]:
    """(zip path, storage key) of every file to export; one safe point per document."""
    entries: list[list[str]] = []
    for i, doc in enumerate(docs):
        prefix = document_prefix(doc["user_id"], doc["id"])
        for name in FINAL_FILES:
            key = f"{prefix}/{name}"
            if ctx.read_file(key) is not None:
                entries.append([f"{doc['id']}/{name}", key])
        data = connection_hooks.export_file(ctx, doc["id"]) \
            if ctx.input.get("includeConnections") else None
        if data is not None:
            key = ctx.write_key(f"{prefix}/{connection_hooks.FILE}", data)
            entries.append([f"{doc['id']}/{connection_hooks.FILE}", key])
        ctx.safe_point(i + 1, len(docs), f"Exporting {i + 1} of {len(docs)}: {doc['title']}")
    return entries


def _manifest(docs: list[dict[str, Any]], entries: list[list[str]], stamp: str) -> dict[str, Any]:
    counts = {d["id"]: sum(1 for path, _ in entries if path.startswith(d["id"] + "/"))
              for d in docs}
    return {"version": "1.0", "export_date": stamp, "document_count": len(docs),
            "documents": [{**d, "file_count": counts[d["id"]]} for d in docs]}


def _partial_key(ctx: JobContext) -> str:
    return f"jobs/{ctx.job.id}/export.zip"


def _generate(ctx: JobContext, entries: list[list[str]], manifest: dict[str, Any]) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, key in entries:
            data = ctx.read_file(key)
            if data is None:
                raise PermanentError(f"{key} disappeared from storage during the export")
            zf.writestr(zipfile.ZipInfo(path, _FIXED_TIME), data, zipfile.ZIP_DEFLATED)
        zf.writestr(zipfile.ZipInfo("manifest.json", _FIXED_TIME), encode(manifest),
                    zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    ctx.write_key(_partial_key(ctx), data, final=False)
    return len(data)


def _save(ctx: JobContext, user_id: str, name: str) -> str:
    data = ctx.read_file(_partial_key(ctx))
    if data is None:
        raise PermanentError("the generated ZIP is missing; run the export again")
    key = f"{user_id}/exports/{name}"
    ctx.write_key(key, data, final=True)
    return key


def read_export(data: bytes) -> dict[str, dict[str, bytes]]:
    """A ZIP made by this module, as {document_id: {file name: bytes}} (for imports)."""
    out: dict[str, dict[str, bytes]] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for doc in manifest["documents"]:
            out[doc["id"]] = {name: zf.read(f"{doc['id']}/{name}")
                              for name in (*FINAL_FILES, connection_hooks.FILE)
                              if f"{doc['id']}/{name}" in zf.namelist()}
    return out

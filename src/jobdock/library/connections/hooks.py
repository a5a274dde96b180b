"""Where the document job types call into connections: enrichment in process_document's
metadata stage (stored with the chunks at save), and ``connections.json`` in export and
import. Without the connections extension wired in, the hooks do nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.services import UnknownService
from jobdock.library.connections.enrich import Enrichment, enrich_texts
from jobdock.library.connections.jobsupport import enrich_chunks
from jobdock.library.connections.model import ENGINES
from jobdock.library.connections.repo import CONNECTIONS, ConnectionsRepo
from jobdock.library.rows import ChunkRow

FILE = "connections.json"
VERSION = "1.0"


def _repo(ctx: JobContext) -> ConnectionsRepo | None:
    try:
        return ctx.service(CONNECTIONS)
    except UnknownService:
        return None


def enrichment_for(texts: Sequence[str]) -> list[dict[str, Any]]:
    """The metadata stage's enrichment: one dict per chunk text, in order (checkpointed)."""
    return [e.to_dict() for e in enrich_texts(texts)]


def save_enrichment(ctx: JobContext, document_id: str, rows: list[dict[str, Any]],
                    enrichment: list[dict[str, Any]] | None, replace: bool = True) -> None:
    """Store the enrichment beside the chunks just saved (``rows`` carry ids and vectors);
    ``replace=False`` adds a batch of a document's chunks to those already stored."""
    repo = _repo(ctx)
    if repo is None:
        return
    if enrichment is None or len(enrichment) != len(rows):  # a checkpoint from before
        repo.save_enrichments(document_id, enrich_chunks(rows), replace)
        return
    repo.save_enrichments(document_id, [(r["id"], Enrichment.from_dict(e), r.get("embedding"))
                                        for r, e in zip(rows, enrichment, strict=True)],
                          replace)


def export_file(ctx: JobContext, document_id: str) -> bytes | None:
    """``connections.json`` of a document: every connection touching it."""
    repo = _repo(ctx)
    if repo is None:
        return None
    rows = repo.export_rows(document_id)
    body = {"version": VERSION, "document_id": document_id, "count": len(rows),
            "connections": rows}
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def after_import(ctx: JobContext, document_id: str, chunks: Sequence[ChunkRow],
                 prefix: str) -> dict[str, int]:
    """Enrich the imported chunks and restore the connections of ``{prefix}/connections.json``
    whose two ends are present (those to documents imported later come back with them)."""
    repo = _repo(ctx)
    if repo is None:
        return {"restored": 0}
    repo.save_enrichments(document_id, enrich_chunks(chunks))
    raw = ctx.read_file(f"{prefix}/{FILE}")
    if raw is None:
        return {"restored": 0}
    try:
        body = json.loads(raw)
    except ValueError:
        return {"restored": 0}
    return {"restored": repo.restore(valid_rows(body))}


def valid_rows(body: Any) -> list[dict[str, Any]]:
    """The rows of a ``connections.json`` (from an archive: untrusted) that are well
    formed: two chunk ids, a known engine, a strength 0-1, a review of null / true /
    false, metadata an object; the others are left out."""
    rows = body.get("connections") if isinstance(body, dict) else None
    out = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        strength = row.get("strength")
        if (isinstance(row.get("source_chunk_id"), str)
                and isinstance(row.get("target_chunk_id"), str)
                and row.get("engine") in ENGINES
                and isinstance(strength, int | float) and not isinstance(strength, bool)
                and 0.0 <= float(strength) <= 1.0
                and row.get("user_validated") in (None, True, False)
                and isinstance(row.get("metadata", {}), dict | None)
                and all(isinstance(row.get(k), str | None)
                        for k in ("id", "validated_at", "discovered_at"))):
            out.append(row)
    return out

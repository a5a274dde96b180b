"""``reprocess_connections``: redo a document's connections (origin §4.4).

Modes: ``all`` deletes every connection of the document and detects again; ``smart``
keeps the reviewed ones (validated and rejected: only unreviewed rows are deleted) and,
with ``backupFirst``, first writes the validated ones to
``{user}/{doc}/validated-connections-{time}.json``; ``add_new`` deletes nothing and
detects only against documents newer than this one. Engines are selectable.
Stages: preparing (0-10), clearing (10-40), processing (40-80, a cursor per batch),
saving (80-90), finalizing (90-100).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections.jobsupport import LazyTable, ensure_enriched, selected_engines
from jobdock.library.connections.repo import CONNECTIONS, ConnectionsRepo
from jobdock.library.connections.runner import run_engine
from jobdock.library.repo import DOCUMENTS
from jobdock.library.rows import DocumentRow

STAGES = (Stage("preparing", 10), Stage("clearing", 30), Stage("processing", 40),
          Stage("saving", 10), Stage("finalizing", 10))
MODES = ("all", "smart", "add_new")


def reprocess_connections(ctx: JobContext) -> dict[str, Any]:
    docs = ctx.service(DOCUMENTS)
    repo = ctx.service(CONNECTIONS)
    document_id = str(ctx.input.get("document_id") or ctx.job.entity_id or "")
    mode = str(ctx.input.get("mode") or "smart")
    if mode not in MODES:
        raise InvalidInputError(f"unknown mode {mode!r} (use {', '.join(MODES)})")
    engines = selected_engines(ctx.input.get("engines"))
    doc = docs.get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist (deleted?)")
    prep = ctx.run_stage("preparing", _prepare, docs, repo, document_id)
    cleared = ctx.run_stage("clearing", _clear, ctx, repo, doc, mode)
    table = LazyTable(lambda: repo.library_table(doc["user_id"]))
    found = ctx.run_stage("processing", _process, ctx, table, prep, cleared, engines)
    ctx.run_stage("saving", lambda: {"added": repo.upsert(
        [c for e in engines for c in found.get(e, [])])})
    return ctx.run_stage("finalizing", _finalize, ctx, repo, document_id, prep, cleared,
                         found)


def _prepare(docs: Any, repo: ConnectionsRepo, document_id: str) -> dict[str, Any]:
    chunk_ids = ensure_enriched(docs, repo, document_id, refresh=True)
    if not chunk_ids:
        raise PermanentError(f"document {document_id} has no chunks to connect")
    return {"chunk_ids": chunk_ids, "before": sum(repo.counts(document_id).values())}


def _clear(ctx: JobContext, repo: ConnectionsRepo, doc: DocumentRow,
           mode: str) -> dict[str, Any]:
    document_id = doc["id"]
    if mode == "add_new":
        newer = repo.newer_documents(document_id)
        ctx.update_progress(details=f"{len(newer)} newer documents")
        return {"targets": newer, "skip": not newer}
    if mode == "all" or not ctx.input.get("preserveValidated", True):
        deleted = repo.delete(document_id, unreviewed_only=False)
        return {"targets": None, "deleted": deleted}
    validated = repo.validated(document_id)
    backup = None
    if validated and ctx.input.get("backupFirst", True):
        stamp = datetime.now(UTC).isoformat().replace(":", "-").replace(".", "-")
        body = {"version": "1.0", "document_id": document_id, "timestamp": stamp,
                "connections": validated, "count": len(validated)}
        backup = ctx.save_file(f"validated-connections-{stamp}.json",
                               (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
    deleted = repo.delete(document_id, unreviewed_only=True)
    return {"targets": None, "deleted": deleted, "validated": len(validated),
            "backupPath": backup}


def _process(ctx: JobContext, table: LazyTable, prep: dict[str, Any],
             cleared: dict[str, Any], engines: list[str]) -> dict[str, list[dict[str, Any]]]:
    if cleared.get("skip"):
        return {}
    cursor = ctx.cursor if isinstance(ctx.cursor, dict) else {}
    done: dict[str, list[dict[str, Any]]] = dict(cursor.get("done", {}))
    for engine in engines:
        if engine in done:
            continue
        done[engine] = run_engine(ctx, engine, table, prep["chunk_ids"], cleared["targets"],
                                  batch=int(ctx.input.get("batch_size") or 32),
                                  carry=dict(done))
    return done


def _finalize(ctx: JobContext, repo: ConnectionsRepo, document_id: str,
              prep: dict[str, Any], cleared: dict[str, Any],
              found: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    counts = repo.counts(document_id)
    after = sum(counts.values())
    ctx.update_progress(details=f"Reprocessed connections: {prep['before']} → {after}")
    return {"document_id": document_id, "connectionsBefore": prep["before"],
            "connectionsAfter": after, "validatedPreserved": cleared.get("validated", 0),
            "backupPath": cleared.get("backupPath"), "byEngine": counts,
            "foundByEngine": {e: len(v) for e, v in found.items()}}

"""``detect_connections``: the three engines for one document, then save (origin §4.5).

Stages: loading (0-25), semantic_similarity (25), contradiction_detection (50),
thematic_bridge (75), saving (90). Each engine stage saves a cursor after every batch of
source chunks, so a pause or a crash resumes at the next batch and ends with exactly the
connections an uninterrupted run finds. Saving is an idempotent upsert: a second run on
an unchanged library adds no rows.
"""

from __future__ import annotations

import time
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.connections.jobsupport import LazyTable, ensure_enriched, selected_engines
from jobdock.library.connections.model import CONTRADICTION, ENGINES, SEMANTIC, THEMATIC
from jobdock.library.connections.repo import CONNECTIONS, ConnectionsRepo
from jobdock.library.connections.runner import run_engine
from jobdock.library.repo import DOCUMENTS

STAGES = (Stage("loading", 25), Stage(SEMANTIC, 25), Stage(CONTRADICTION, 25),
          Stage(THEMATIC, 15), Stage("saving", 10))


def detect_connections(ctx: JobContext) -> dict[str, Any]:
    started = time.monotonic()
    docs = ctx.service(DOCUMENTS)
    repo = ctx.service(CONNECTIONS)
    document_id = str(ctx.input["document_id"])
    doc = docs.get(document_id)
    if doc is None:
        raise PermanentError(f"document {document_id} does not exist (deleted?)")
    engines = selected_engines(ctx.input.get("engines"))
    table = LazyTable(lambda: repo.library_table(doc["user_id"]))
    plan = ctx.run_stage("loading", _load, ctx, docs, repo, table, document_id)
    found: dict[str, list[dict[str, Any]]] = {}
    for engine in ENGINES:
        found[engine] = ctx.run_stage(engine, _engine, ctx, engine, table, plan, engines)
    saved = ctx.run_stage("saving", _save, ctx, repo, found)
    total = sum(len(v) for v in found.values())
    ctx.update_progress(details=f"Found {total} connections")
    return {"document_id": document_id, "connections": total, "added": saved["added"],
            "byEngine": {e: len(found[e]) for e in ENGINES},
            "elapsedSeconds": round(time.monotonic() - started, 3)}


def _load(ctx: JobContext, docs: Any, repo: ConnectionsRepo, table: LazyTable,
          document_id: str) -> dict[str, Any]:
    chunk_ids = ensure_enriched(docs, repo, document_id)
    library = table()
    ctx.update_progress(details=f"{len(chunk_ids)} chunks against a library of "
                                f"{len(library)}")
    return {"chunk_ids": chunk_ids, "library_chunks": len(library)}


def _engine(ctx: JobContext, engine: str, table: LazyTable, plan: dict[str, Any],
            engines: list[str]) -> list[dict[str, Any]]:
    if engine not in engines:
        return []
    return run_engine(ctx, engine, table, plan["chunk_ids"], None,
                      batch=int(ctx.input.get("batch_size") or 32))


def _save(ctx: JobContext, repo: ConnectionsRepo,
          found: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    rows = [c for engine in ENGINES for c in found[engine]]
    ctx.update_progress(details=f"Saving {len(rows)} connections")
    return {"added": repo.upsert(rows)}

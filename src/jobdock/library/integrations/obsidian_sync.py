"""``obsidian_sync``: bring a document and its vault note back in step.

Input ``{"document_id"}``. The note's body and the library's text are hashed and compared
with the hashes the last sync recorded:

- neither changed (or both now say the same) → nothing to do;
- only the library changed → the note is rewritten (``to_vault``);
- only the vault changed → the library's text is replaced, the document rechunked
  (unchanged chunks keep their embeddings), annotations re-anchored, and the counts of
  exact / fuzzy / lost anchors reported (``from_vault``);
- both changed → a conflict is recorded on the sync state and shown; nothing is
  overwritten on either side. Syncing again with ``"prefer": "vault"`` or ``"library"``
  resolves it: the other side's text is first saved in storage (``conflicts/``).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.files import chunks_document, encode
from jobdock.library.integrations.anchoring import Anchor, reanchor
from jobdock.library.integrations.anchoring import counts as anchor_counts
from jobdock.library.integrations.library_text import (
    ChunkIndex,
    content_key,
    documents_repo,
    load_document,
    read_text,
)
from jobdock.library.integrations.notes import NotePaths, content_hash, normalise_body, parse_note
from jobdock.library.integrations.obsidian import paths_for, user_vault, write_document
from jobdock.library.integrations.rechunk import embed_missing, plan_chunks, with_embeddings
from jobdock.library.integrations.repo import INTEGRATIONS, IntegrationsRepo
from jobdock.library.rows import DocumentRow

STAGES = (Stage("compare", 10), Stage("chunking", 15), Stage("embeddings", 45),
          Stage("reanchor", 15), Stage("save", 10), Stage("record", 5))


def obsidian_sync(ctx: JobContext) -> dict[str, Any]:
    """Compare a document with its vault note and carry the changed side over."""
    document_id = ctx.input.get("document_id")
    if not document_id:
        raise InvalidInputError("obsidian_sync needs a document_id")
    repo: IntegrationsRepo = ctx.service(INTEGRATIONS)
    doc = load_document(ctx, str(document_id))
    found = ctx.run_stage("compare", _compare, ctx, repo, doc)
    action = found["action"]
    if action == "unchanged":
        return {"changed": False, "action": action, "path": found["path"]}
    if action == "conflict":
        return {"changed": True, "action": action, "conflict": found["conflict"],
                "path": found["path"]}
    if action == "to_vault":
        return ctx.run_stage("record", _to_vault, ctx, repo, doc, found)
    return _from_vault(ctx, repo, doc, found)


def _compare(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow) -> dict[str, Any]:
    vault, settings = user_vault(repo, doc["user_id"])
    state = repo.sync_state(doc["id"])
    if state is None:
        raise PermanentError(f"{doc['title']!r} was never exported to the vault: "
                             "run obsidian_export first")
    paths = paths_for(vault, doc, settings.get("export_folder") or "", state)
    note = vault.read_text(paths.note)
    if note is None:
        raise PermanentError(f"the vault note {paths.note} is gone; export the document "
                             "again to recreate it")
    library = read_text(ctx, doc)
    body = parse_note(note).body
    vault_hash, library_hash = content_hash(body), content_hash(library)
    vault_changed = vault_hash != state["vault_hash"]
    library_changed = library_hash != state["library_hash"]
    base = {"path": paths.note, "vault_hash": vault_hash, "library_hash": library_hash,
            "vault_root": str(vault.resolved_root), "vault_name": vault.name,
            "paths": dataclasses.asdict(paths)}
    if vault_hash == library_hash or not (vault_changed or library_changed):
        if vault_changed or library_changed:  # both moved to the same text
            _record(repo, doc, base, "from_vault")
        return {**base, "action": "unchanged"}
    prefer = ctx.input.get("prefer")
    if vault_changed and library_changed and prefer in ("vault", "library"):
        # The person chose a side: keep the other one in storage, then carry theirs over.
        side = "library" if prefer == "vault" else "vault"
        stamp = repo.now_iso().replace(":", "-")
        key = f"{content_key(doc).rsplit('/', 1)[0]}/conflicts/{stamp}-{side}.md"
        ctx.write_key(key, (library if side == "library" else note).encode())
        base["kept_copy"] = key
        library_changed = prefer == "library"
        vault_changed = prefer == "vault"
    if vault_changed and library_changed:
        conflict = {"detected_at": repo.now_iso(), "note_path": paths.note,
                    "vault_hash": vault_hash, "library_hash": library_hash,
                    "synced_vault_hash": state["vault_hash"],
                    "synced_library_hash": state["library_hash"],
                    "message": "the note and the library's text both changed since the last "
                               "sync; nothing was overwritten (sync again choosing the vault's "
                               "or the library's version; the other is kept as a copy)"}
        repo.record_conflict(doc["id"], conflict)
        return {**base, "action": "conflict", "conflict": conflict}
    if library_changed:
        return {**base, "action": "to_vault"}
    return {**base, "action": "from_vault", "old_text": library,
            "new_text": normalise_body(body) + "\n"}


def _record(repo: IntegrationsRepo, doc: DocumentRow, found: dict[str, Any],
            direction: str) -> None:
    repo.record_sync(document_id=doc["id"], user_id=doc["user_id"],
                     vault_root=found["vault_root"], note_path=found["path"],
                     vault_hash=found["vault_hash"], library_hash=found["library_hash"],
                     direction=direction)


def _to_vault(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow,
              found: dict[str, Any]) -> dict[str, Any]:
    vault, settings = user_vault(repo, doc["user_id"])
    text = read_text(ctx, doc)
    annotations = repo.annotations(doc["id"]) if settings.get("sync_annotations", True) else []
    written = write_document(vault, NotePaths(**found["paths"]), doc, text, annotations, None)
    found = {**found, "vault_hash": written["vault_hash"], "library_hash": content_hash(text)}
    _record(repo, doc, found, "to_vault")
    return {"changed": True, "action": "to_vault", "path": found["path"], "uri": written["uri"],
            **({"kept_copy": found["kept_copy"]} if found.get("kept_copy") else {})}


def _from_vault(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow,
                found: dict[str, Any]) -> dict[str, Any]:
    docs = documents_repo(ctx)
    new_text = found["new_text"]
    embedder = doc.get("embedder") or "hashing"
    rows = ctx.run_stage("chunking", lambda: plan_chunks(new_text, docs.chunks(doc["id"]),
                                                         doc["id"], embedder))
    kept = sum(1 for r in rows if r["kept"])
    vectors = ctx.run_stage("embeddings", embed_missing, ctx, rows, embedder)
    moves = ctx.run_stage("reanchor", _reanchor, repo, doc, found, rows)
    saved = ctx.run_stage("save", _save, ctx, repo, doc, new_text, rows, vectors, moves,
                          embedder)
    _record(repo, doc, {**found, "library_hash": content_hash(new_text)}, "from_vault")
    return {"changed": True, "action": "from_vault", "path": found["path"],
            "chunks": len(rows), "chunks_kept": kept, "chunks_embedded": len(rows) - kept,
            "recovery": moves["counts"], **saved,
            **({"kept_copy": found["kept_copy"]} if found.get("kept_copy") else {})}


def _reanchor(repo: IntegrationsRepo, doc: DocumentRow, found: dict[str, Any],
              rows: list[dict[str, Any]]) -> dict[str, Any]:
    annotations = repo.annotations(doc["id"])
    anchors = [Anchor(a["id"], a["start_offset"], a["end_offset"], a["quote"])
               for a in annotations if a["anchor_method"] != "lost"]
    results = reanchor(found["old_text"], found["new_text"], anchors)
    chunks = ChunkIndex(rows)
    new_text = found["new_text"]
    moves = []
    for r in results:
        move = {"id": r.id, "anchor_method": r.method, "anchor_confidence": r.confidence,
                "start_offset": r.start, "end_offset": r.end}
        if r.method == "lost":
            original = next(a for a in anchors if a.id == r.id)
            start = min(r.start, len(new_text))
            move.update(start_offset=start, end_offset=start, quote=original.quote,
                        chunk_id=None, chunk_index=None)
        else:
            move.update(quote=new_text[r.start:r.end], **chunks.ref(r.start))
        moves.append(move)
    return {"moves": moves, "counts": anchor_counts(results)}


def _save(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow, new_text: str,
          rows: list[dict[str, Any]], vectors: dict[str, Any], moves: dict[str, Any],
          embedder: str) -> dict[str, Any]:
    docs = documents_repo(ctx)
    rows = with_embeddings(rows, vectors, docs.chunks(doc["id"]))
    ctx.write_key(content_key(doc), new_text.encode())
    prefix = content_key(doc).rsplit("/", 1)[0]
    ctx.write_key(f"{prefix}/chunks.json", encode(chunks_document(doc["id"], rows, embedder)))
    docs.replace_chunks(doc["id"], rows)
    repo.move_annotations(moves["moves"])
    docs.set_processed(doc["id"], title=None, page_count=doc.get("page_count"),
                       chunk_count=len(rows), word_count=len(new_text.split()),
                       markdown_available=True, embeddings_available=True, embedder=embedder,
                       metadata={"synced_from_vault": repo.now_iso()})
    follow_up = None
    if len(rows) >= 2:
        follow_up = docs.queue_unless_active(
            "detect_connections", {"document_id": doc["id"], "chunk_count": len(rows),
                                   "trigger": "obsidian-sync"},
            user_id=doc["user_id"], entity_id=doc["id"])
    return {"word_count": len(new_text.split()), "connections_job_id": follow_up}

"""``obsidian_export``: write a document into the user's Obsidian vault.

Input ``{"document_id"}``. The note is ``{export folder}/{name}/{name}.md`` with front
matter and the document's text; its highlights and connections go to sibling notes.
The vault-relative path and an ``obsidian://`` URI end up in ``output_data``, and the
sync state records both sides' hashes. A note edited in the vault since the last sync is
not overwritten (run ``obsidian_sync``), unless the input says ``"force": true``.
"""

from __future__ import annotations

from typing import Any

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import InvalidInputError, PermanentError
from jobdock.jobs.registry import Stage
from jobdock.library.integrations.library_text import load_document, read_text
from jobdock.library.integrations.notes import NotePaths, content_hash, parse_note
from jobdock.library.integrations.obsidian import (
    connection_links,
    paths_for,
    user_vault,
    write_document,
)
from jobdock.library.integrations.repo import INTEGRATIONS, IntegrationsRepo
from jobdock.library.integrations.vault import Vault
from jobdock.library.rows import DocumentRow

STAGES = (Stage("prepare", 20), Stage("write", 70), Stage("record", 10))


def obsidian_export(ctx: JobContext) -> dict[str, Any]:
    """Write a document, its highlights and its connections into the Obsidian vault."""
    document_id = ctx.input.get("document_id")
    if not document_id:
        raise InvalidInputError("obsidian_export needs a document_id")
    repo: IntegrationsRepo = ctx.service(INTEGRATIONS)
    doc = load_document(ctx, str(document_id))
    plan = ctx.run_stage("prepare", _prepare, ctx, repo, doc)
    written = ctx.run_stage("write", _write, ctx, repo, doc, plan)
    return ctx.run_stage("record", _record, repo, doc, plan, written)


def _prepare(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow) -> dict[str, Any]:
    vault, settings = user_vault(repo, doc["user_id"])
    state = repo.sync_state(doc["id"])
    paths = paths_for(vault, doc, settings.get("export_folder") or "", state)
    existing = vault.read_text(paths.note)
    edited = existing is not None and state is not None and \
        content_hash(parse_note(existing).body) != state["vault_hash"]
    if edited and not ctx.input.get("force"):
        raise PermanentError(f"{paths.note} was edited in the vault since the last sync; "
                             "run obsidian_sync first (nothing was written)")
    return {"vault_root": str(vault.resolved_root), "vault_name": vault.name,
            "sync_annotations": bool(settings.get("sync_annotations", True)),
            "paths": {"name": paths.name, "note": paths.note,
                      "highlights": paths.highlights, "connections": paths.connections}}


def _write(ctx: JobContext, repo: IntegrationsRepo, doc: DocumentRow,
           plan: dict[str, Any]) -> dict[str, Any]:
    vault = Vault(plan["vault_root"], plan["vault_name"]).check()
    text = read_text(ctx, doc)
    annotations = repo.annotations(doc["id"]) if plan["sync_annotations"] else []
    connections = connection_links(repo.connections(doc["id"]))
    out = write_document(vault, NotePaths(**plan["paths"]), doc, text, annotations,
                         connections)
    out["library_hash"] = content_hash(text)
    out["annotations"] = len(annotations)
    out["connections"] = len(connections)
    return out


def _record(repo: IntegrationsRepo, doc: DocumentRow, plan: dict[str, Any],
            written: dict[str, Any]) -> dict[str, Any]:
    repo.record_sync(document_id=doc["id"], user_id=doc["user_id"],
                     vault_root=plan["vault_root"], note_path=written["path"],
                     vault_hash=written["vault_hash"], library_hash=written["library_hash"],
                     direction="to_vault")
    return {"document_id": doc["id"], "vault": plan["vault_name"], **written}

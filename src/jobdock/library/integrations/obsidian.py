"""What the Obsidian jobs share: the user's vault, a document's note paths and files."""

from __future__ import annotations

from typing import Any

from jobdock.library.integrations.notes import (
    NotePaths,
    content_hash,
    note_paths,
    parse_note,
    render_connections,
    render_highlights,
    render_note,
)
from jobdock.library.integrations.repo import IntegrationsRepo
from jobdock.library.integrations.vault import Vault, VaultError, safe_file_name
from jobdock.library.rows import DocumentRow


def user_vault(repo: IntegrationsRepo, user_id: str) -> tuple[Vault, dict[str, Any]]:
    settings = repo.settings(user_id)
    root = settings.get("vault_path")
    if not root:
        raise VaultError("no Obsidian vault is configured: set the vault path in the "
                         "integration settings")
    return Vault(root, settings.get("vault_name") or None).check(), settings


def paths_for(vault: Vault, doc: DocumentRow, folder: str,
              state: dict[str, Any] | None) -> NotePaths:
    """The note's paths: where it was synced before, else from the title; a note of the
    same name that belongs to another document gets this one's id as a suffix."""
    if state and state.get("vault_root") == str(vault.resolved_root):
        recorded = state["note_path"]
        name = recorded.rsplit("/", 1)[-1].removesuffix(".md")
        base = recorded.rsplit("/", 1)[0] if "/" in recorded else ""
        return NotePaths(name, recorded, f"{base}/{name} - Highlights.md".lstrip("/"),
                         f"{base}/{name} - Connections.md".lstrip("/"))
    paths = note_paths(doc["title"], folder)
    existing = vault.read_text(paths.note)
    if existing is not None and str(parse_note(existing).front.get("id")) != doc["id"]:
        paths = note_paths(doc["title"], folder, f" ({doc['id'][:8]})")
    return paths


def front_matter(doc: DocumentRow) -> dict[str, Any]:
    meta = doc.get("metadata") or {}
    tags = meta["tags"] if isinstance(meta.get("tags"), list) else []
    return {"id": doc["id"], "title": doc["title"],
            "source": doc.get("filename") or doc.get("source_type") or "",
            "tags": ["jobdock", *[str(t) for t in tags]], "created": doc.get("created_at")}


def write_document(vault: Vault, paths: NotePaths, doc: DocumentRow, text: str,
                   annotations: list[dict[str, Any]] | None,
                   connections: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Write the note (and its highlights and connections notes); returns what was written."""
    vault.write_text(paths.note, render_note(front_matter(doc), text))
    out: dict[str, Any] = {"path": paths.note, "uri": vault.uri(paths.note),
                           "vault_hash": content_hash(text)}
    if annotations:
        vault.write_text(paths.highlights, render_highlights(paths.name, doc["id"], annotations))
        out["highlights_path"] = paths.highlights
    if connections:
        vault.write_text(paths.connections, render_connections(paths.name, connections))
        out["connections_path"] = paths.connections
    return out


def connection_links(connections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Connections (other document's title, type, strength) as wikilink targets."""
    return [{"name": safe_file_name(c["title"]), "type": c.get("type"),
             "strength": c.get("strength")} for c in connections]

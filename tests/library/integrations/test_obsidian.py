"""obsidian_export and obsidian_sync with a real vault folder, on both stores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jobdock.admin import InvalidRequest
from jobdock.app import Dock
from jobdock.jobs.model import ErrorType, JobStatus
from jobdock.library.integrations.notes import parse_note
from jobdock.library.integrations.service import IntegrationService
from jobdock.library.service import DocumentService
from tests.library.integrations.support import (
    PARAGRAPHS,
    content,
    finished,
    processed_document,
    run_job,
)
from tests.library.integrations.test_vault import _read_only

USER = "ann"


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "My Vault"
    root.mkdir()
    return root


async def _setup(dock: Dock, vault: Path, title: str = "Stone and River") -> dict[str, Any]:
    service = IntegrationService.of(dock)
    await service.save_settings(USER, {"vault_path": str(vault), "export_folder": "Library"})
    return await processed_document(dock, title=title)


async def _annotate(dock: Dock, doc: dict[str, Any], quotes: list[str]) -> None:
    for q in quotes:
        await IntegrationService.of(dock).add_annotation(USER, doc["id"], quote=q,
                                                         note=f"on {q[:10]}")


async def test_export_writes_note_highlights_and_uri(dock: Dock, vault: Path) -> None:
    doc = await _setup(dock, vault)
    await _annotate(dock, doc, [PARAGRAPHS[0][:40]])
    service = IntegrationService.of(dock)
    out = finished(await run_job(dock, await service.export(USER, doc["id"])))
    assert out["path"] == "Library/Stone and River/Stone and River.md"
    assert out["uri"] == ("obsidian://open?vault=My%20Vault&file=Library%2FStone%20and%20River"
                          "%2FStone%20and%20River")
    note = parse_note((vault / out["path"]).read_text())
    assert note.front["id"] == doc["id"] and note.front["title"] == "Stone and River"
    assert {"source", "tags", "created"} <= set(note.front)
    assert note.body.strip() == content(dock, doc).strip()
    highlights = (vault / out["highlights_path"]).read_text()
    assert f"> {PARAGRAPHS[0][:40]}" in highlights and "[[Stone and River]]" in highlights
    [state] = await service.sync_states(USER)
    assert state["last_sync_direction"] == "to_vault" and state["conflict"] is None
    again = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert again["action"] == "unchanged" and again["changed"] is False


async def test_unsafe_title_stays_inside_the_vault(dock: Dock, vault: Path) -> None:
    doc = await _setup(dock, vault, title="../../etc/x")
    out = finished(await run_job(dock, await IntegrationService.of(dock).export(USER,
                                                                              doc["id"])))
    assert out["path"] == "Library/etc x/etc x.md"
    written = [p for p in vault.parent.rglob("*") if p.is_file() and "storage" not in p.parts
               and p.suffix == ".md"]
    assert written and all(p.resolve().is_relative_to(vault.resolve()) for p in written)


def _edit_as_a_person(note: str) -> str:
    """Change one paragraph, add a new one after it (what someone does in Obsidian)."""
    old = PARAGRAPHS[1] + " (Section 2.)"
    assert old in note
    new = ("Light falls across the paper while the open window holds the whole garden still "
           "for a long moment of quiet attention. (Section 2.)")
    added = "A new thought, written in the vault: syncing is a conversation, not a copy."
    return note.replace(old, f"{new}\n\n{added}")


async def test_round_trip_vault_edit_reprocesses_and_reanchors(dock: Dock, vault: Path) -> None:
    doc = await _setup(dock, vault)
    edited_quote = PARAGRAPHS[1][:60] + " (Section 2.)"
    quotes = [PARAGRAPHS[0][:50], PARAGRAPHS[5][:50]]
    await _annotate(dock, doc, quotes)
    text = content(dock, doc)
    start = text.index(PARAGRAPHS[1], text.index("## Part 2"))
    await IntegrationService.of(dock).add_annotation(USER, doc["id"], start=start,
                                                     end=start + 70)
    service = IntegrationService.of(dock)
    out = finished(await run_job(dock, await service.export(USER, doc["id"])))
    chunks_before = await DocumentService.of(dock).chunks(doc["id"])
    note_file = vault / out["path"]
    note_file.write_text(_edit_as_a_person(note_file.read_text()))

    synced = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert synced["action"] == "from_vault"
    new_text = content(dock, doc)
    assert "syncing is a conversation, not a copy" in new_text
    assert new_text.strip() == parse_note(note_file.read_text()).body.strip()
    chunks = await DocumentService.of(dock).chunks(doc["id"])
    assert any("conversation, not a copy" in c["content"] for c in chunks)
    for c in chunks:
        assert new_text[c["start_offset"]:c["end_offset"]] == c["content"]
    assert 0 < synced["chunks_kept"] < len(chunks)  # unchanged chunks kept their embeddings
    kept = {c["content"]: c["embedding"] for c in chunks_before}
    assert sum(c["embedding"] == kept.get(c["content"]) for c in chunks) == synced["chunks_kept"]
    assert synced["recovery"] == {"exact": 2, "fuzzy": 1, "lost": 0}
    for ann in await service.annotations(doc["id"], USER):
        assert new_text[ann["start_offset"]:ann["end_offset"]] == ann["quote"]
    assert edited_quote not in new_text
    [state] = await service.sync_states(USER)
    assert state["last_sync_direction"] == "from_vault"
    again = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert again["action"] == "unchanged"


async def test_both_sides_changed_is_a_conflict_and_nothing_is_lost(dock: Dock,
                                                                   vault: Path) -> None:
    doc = await _setup(dock, vault)
    service = IntegrationService.of(dock)
    out = finished(await run_job(dock, await service.export(USER, doc["id"])))
    note_file = vault / out["path"]
    vault_version = _edit_as_a_person(note_file.read_text())
    note_file.write_text(vault_version)
    key = f"documents/{USER}/{doc['id']}/content.md"
    library_version = content(dock, doc).replace(PARAGRAPHS[4], "Rewritten in the library.")
    dock.storage.put(key, library_version.encode())

    synced = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert synced["action"] == "conflict" and "both changed" in synced["conflict"]["message"]
    assert note_file.read_text() == vault_version
    assert content(dock, doc) == library_version
    [state] = await service.sync_states(USER)
    assert state["conflict"]["note_path"] == out["path"]
    export = await run_job(dock, await service.export(USER, doc["id"]))
    assert export.status is JobStatus.FAILED and "edited in the vault" in export.error_message
    assert note_file.read_text() == vault_version

    # resolving it keeps the chosen side and saves the other one
    kept = finished(await run_job(dock, await service.sync(USER, doc["id"], prefer="vault")))
    assert kept["action"] == "from_vault"
    assert "syncing is a conversation" in content(dock, doc)
    assert dock.storage.get(kept["kept_copy"]) == library_version.encode()
    [state] = await service.sync_states(USER)
    assert state["conflict"] is None


async def test_library_only_change_goes_to_the_vault(dock: Dock, vault: Path) -> None:
    doc = await _setup(dock, vault)
    service = IntegrationService.of(dock)
    out = finished(await run_job(dock, await service.export(USER, doc["id"])))
    key = f"documents/{USER}/{doc['id']}/content.md"
    dock.storage.put(key, content(dock, doc).replace(PARAGRAPHS[3], "Library edit.").encode())
    synced = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert synced["action"] == "to_vault"
    assert "Library edit." in (vault / out["path"]).read_text()


async def test_bad_vault_paths_are_refused_and_nothing_is_written(dock: Dock,
                                                                  tmp_path: Path) -> None:
    service = IntegrationService.of(dock)
    with pytest.raises(InvalidRequest, match="does not exist"):
        await service.save_settings(USER, {"vault_path": str(tmp_path / "missing")})
    locked = tmp_path / "locked"
    locked.mkdir()
    with _read_only(locked), pytest.raises(InvalidRequest, match="not writable"):
        await service.save_settings(USER, {"vault_path": str(locked)})
    with pytest.raises(InvalidRequest, match="inside the vault"):
        await service.save_settings(USER, {"export_folder": "../outside"})
    assert (await service.settings(USER))["vault_path"] is None

    vault = tmp_path / "vault"
    vault.mkdir()
    doc = await _setup(dock, vault)
    vault.rmdir()  # the vault went away after it was configured
    failed = await run_job(dock, await service.export(USER, doc["id"]))
    assert failed.status is JobStatus.FAILED and failed.error_type is ErrorType.PERMANENT
    assert "vault folder does not exist" in (failed.error_message or "")
    assert not vault.exists()


async def test_settings_api_never_returns_the_token(dock: Dock) -> None:
    service = IntegrationService.of(dock)
    await service.set_readwise_token(USER, "tok-123-secret")
    settings = await service.settings(USER)
    assert settings["readwise_token_set"] is True
    assert "tok-123-secret" not in json.dumps(settings, default=str)


async def test_sync_chunks_as_processing_did_so_unchanged_chunks_keep_vectors(
        dock: Dock, vault: Path) -> None:
    """With MiniLM, processing chunks within the model's window: sync must chunk the same
    way, or no chunk matches and every one is embedded again."""
    service = IntegrationService.of(dock)
    await service.save_settings(USER, {"vault_path": str(vault)})
    sections = [f"## Part {n}\n\n" + "\n\n".join(
        f"{p} (Section {n}, copy {k}.)" for k in range(4) for p in PARAGRAPHS)
        for n in range(1, 4)]  # ~700 tokens a section: longer than MiniLM's window
    markdown = "# Stone and River\n\n" + "\n\n".join(sections) + "\n"
    doc, job = await DocumentService.of(dock).add(USER, "long.md", markdown.encode(),
                                                  embedder="minilm")
    assert (await run_job(dock, job)).status is JobStatus.COMPLETED
    out = finished(await run_job(dock, await service.export(USER, doc["id"])))
    note_file = vault / out["path"]
    note = note_file.read_text()
    old = PARAGRAPHS[1] + " (Section 2, copy 1.)"
    note_file.write_text(note.replace(old, old.replace("open window", "wide window")))
    synced = finished(await run_job(dock, await service.sync(USER, doc["id"])))
    assert synced["chunks"] >= 6
    assert synced["chunks_embedded"] <= 2 < synced["chunks_kept"]

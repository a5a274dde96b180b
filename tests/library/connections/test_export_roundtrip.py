"""Export with connections and import into a fresh store, through the command line:
the connections whose two ends are present come back, reviews included; those to a
document that was not exported do not."""

from __future__ import annotations

import asyncio
import json
import zipfile
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.library.connections.store import ConnectionStore
from jobdock.settings import Settings
from tests.library.connections.stored import USER, completed, run_job, store_corpus
from tests.library.connections.test_cli import run

pytestmark = pytest.mark.slow
HELPS, HURTS = "wage-raise-helps", "wage-raise-hurts"


def _settings(home: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{home / 'db.sqlite'}",
                    storage_url=str(home / "storage"))


def _prepare(home: Path) -> None:
    """The corpus with the wage essays' connections detected, one of them validated."""
    async def go() -> None:
        dock = await Dock.open(_settings(home))
        try:
            await store_corpus(dock)
            for doc in (HELPS, HURTS):
                completed(await run_job(dock, "detect_connections", {}, doc))
            links = ConnectionStore(dock.store)
            first = sorted(await links.list_for_document(HELPS), key=lambda r: r["id"])[0]
            await links.set_validated(first["id"], True, dock.admin.clock.now())
        finally:
            await dock.close()

    asyncio.run(go())


def _connections(home: Path, doc: str) -> set[tuple]:
    listed = run("connections", "list", doc, "--json", home=home)
    assert listed.returncode == 0, listed.stderr
    return {(c["source_chunk_id"], c["target_chunk_id"], c["engine"], c["strength"],
             c["user_validated"]) for c in json.loads(listed.stdout)}


def _export(home: Path, out: Path, *docs: str, connections: bool = True) -> set[str]:
    flag = ("--include-connections",) if connections else ()
    done = run("documents", "export", *docs, "--user-id", USER, *flag, "--run",
               "--out", str(out), home=home)
    assert done.returncode == 0, done.stderr
    return set(zipfile.ZipFile(out).namelist())


def _import(zip_file: Path, home: Path) -> None:
    done = run("documents", "import", str(zip_file), "--user-id", USER, "--run", home=home)
    assert done.returncode == 0, done.stderr


def test_export_with_connections_and_import_into_a_fresh_store(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _prepare(source)
    before = _connections(source, HELPS)
    assert {c[2] for c in before} == {"semantic_similarity", "contradiction_detection"}
    assert sum(1 for c in before if c[4] is True) == 1

    both = tmp_path / "both.zip"
    names = _export(source, both, HELPS, HURTS)
    assert {f"{HELPS}/connections.json", f"{HURTS}/connections.json"} <= names
    fresh = tmp_path / "fresh"
    _import(both, fresh)
    assert _connections(fresh, HELPS) == before  # review included

    # Only one end exported: its connections all point at the other essay, which the
    # fresh store does not have, so none is restored.
    alone = tmp_path / "alone.zip"
    _export(source, alone, HELPS)
    lonely = tmp_path / "lonely"
    _import(alone, lonely)
    assert _connections(lonely, HELPS) == set()

    plain = tmp_path / "plain.zip"
    assert f"{HELPS}/connections.json" not in _export(source, plain, HELPS,
                                                      connections=False)

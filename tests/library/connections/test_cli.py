"""``jobdock connections`` as a person uses it: detect --run, list (table and JSON, by
engine and preset), reprocess."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.settings import Settings
from tests.library.connections.stored import store_corpus

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow
WAGE = "wage-raise-helps"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{home / 'db.sqlite'}", "--storage-url", str(home / "storage"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_detect_list_and_reprocess_from_the_command_line(tmp_path: Path) -> None:
    async def prepare() -> None:
        dock = await Dock.open(Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
                                        storage_url=str(tmp_path / "storage")))
        try:
            await store_corpus(dock)
        finally:
            await dock.close()

    asyncio.run(prepare())
    for doc in (WAGE, "wage-raise-hurts"):
        detected = run("connections", "detect", doc, "--run", home=tmp_path)
        assert detected.returncode == 0, detected.stderr
    listed = json.loads(run("connections", "list", WAGE, "--json", home=tmp_path).stdout)
    assert {c["engine"] for c in listed} == {"semantic_similarity", "contradiction_detection"}
    only = json.loads(run("connections", "list", WAGE, "--engine", "contradiction_detection",
                          "--json", home=tmp_path).stdout)
    assert {c["engine"] for c in only} == {"contradiction_detection"}
    # balanced already puts the contradictions first; thematic-focus puts similarity first
    friction = json.loads(run("connections", "list", WAGE, "--preset", "thematic-focus",
                              "--json", home=tmp_path).stdout)
    assert [c["id"] for c in friction] != [c["id"] for c in listed]
    table = run("connections", "list", WAGE, home=tmp_path)
    assert table.returncode == 0 and "opposing" in table.stdout and "hurts" in table.stdout
    redo = run("connections", "reprocess", WAGE, "--mode", "all", "--engines",
               "semantic_similarity", "--run", home=tmp_path)
    assert redo.returncode == 0, redo.stderr
    after = json.loads(run("connections", "list", WAGE, "--json", home=tmp_path).stdout)
    # its own contradictions went; the other document's (pointing here) stay
    assert len(after) < len(listed)
    bad = run("connections", "reprocess", WAGE, "--mode", "sideways", home=tmp_path)
    assert bad.returncode != 0 and "unknown mode" in (bad.stderr + bad.stdout)

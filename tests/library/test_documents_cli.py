"""``jobdock documents`` as a person uses it: add with --run, list, show, export --out, import."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{home / 'db.sqlite'}", "--storage-url", str(home / "storage"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_add_export_import_round_trip_through_the_cli(sources, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    added = run("documents", "add", str(sources["notes.md"]), "--user-id", "ann", "--run",
                home=tmp_path)
    assert added.returncode == 0, added.stderr
    docs = json.loads(run("documents", "list", "--json", home=tmp_path).stdout)
    assert [d["status"] for d in docs] == ["completed"] and docs[0]["chunk_count"] > 0
    shown = json.loads(run("documents", "show", docs[0]["id"], "--chunks", "--json",
                           home=tmp_path).stdout)
    assert len(shown["chunks"]) == docs[0]["chunk_count"]

    out = tmp_path / "export.zip"
    exported = run("documents", "export", docs[0]["id"], "--user-id", "ann", "--run",
                   "--out", str(out), home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert f"{docs[0]['id']}/chunks.json" in zipfile.ZipFile(out).namelist()

    other = tmp_path / "other"
    imported = run("documents", "import", str(out), "--user-id", "bob", "--run", home=other)
    assert imported.returncode == 0, imported.stderr
    (copy,) = json.loads(run("documents", "list", "--json", home=other).stdout)
    assert copy["user_id"] == "bob" and copy["chunk_count"] == docs[0]["chunk_count"]


def test_import_of_a_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zip"
    bogus.write_bytes(b"not a zip")
    result = run("documents", "import", str(bogus), home=tmp_path)
    assert result.returncode == 2 and "not a jobdock export" in result.stderr

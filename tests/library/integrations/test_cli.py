"""``jobdock integrations`` as a person uses it: settings, token, import, review, export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.library.integrations.support import PARAGRAPHS, book_markdown

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


def run(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{home / 'db.sqlite'}", "--storage-url", str(home / "storage"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300, input=stdin)


def test_integrations_through_the_cli(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    missing = run("integrations", "settings", "--vault", str(tmp_path / "nope"), home=tmp_path)
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    ok = run("integrations", "settings", "--vault", str(vault), "--json", home=tmp_path)
    assert ok.returncode == 0, ok.stderr
    token = run("integrations", "token", "--stdin", home=tmp_path, stdin="cli-secret-1\n")
    assert token.returncode == 0 and "cli-secret-1" not in token.stdout
    shown = run("integrations", "settings", "--json", home=tmp_path)
    assert json.loads(shown.stdout)["readwise_token_set"] is True
    assert "cli-secret-1" not in shown.stdout

    source = tmp_path / "stone.md"
    source.write_text(book_markdown())
    assert run("documents", "add", str(source), "--user-id", "local", "--run",
               home=tmp_path).returncode == 0
    [doc] = json.loads(run("documents", "list", "--json", home=tmp_path).stdout)
    export = tmp_path / "export.csv"
    export.write_text("Highlight,Book Title\n"
                      f'"{PARAGRAPHS[0][:50]}",x\n'
                      f'"{PARAGRAPHS[3][:70].replace("territory", "terrain")}",x\n')
    imported = run("integrations", "import", str(export), "--document", doc["id"], "--run",
                   home=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert '"imported": 1' in imported.stdout and '"needsReview": 1' in imported.stdout
    [entry] = json.loads(run("integrations", "review", "list", "--json", home=tmp_path).stdout)
    accepted = run("integrations", "review", "accept", entry["id"], home=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    again = run("integrations", "review", "accept", entry["id"], home=tmp_path)
    assert again.returncode == 2 and "already accepted" in again.stderr
    listed = json.loads(run("integrations", "annotations", "list", doc["id"], "--json",
                            home=tmp_path).stdout)
    assert sorted(a["anchor_method"] for a in listed) == ["accepted", "exact"]

    exported = run("integrations", "export", doc["id"], "--run", home=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert '"uri": "obsidian://open?vault=vault' in exported.stdout
    assert len(list(vault.rglob("*.md"))) == 2  # the note and its highlights
    malformed = tmp_path / "bad.json"
    malformed.write_text('{"results": [')
    bad = run("integrations", "import", str(malformed), home=tmp_path)
    assert bad.returncode == 2 and "not valid JSON" in bad.stderr

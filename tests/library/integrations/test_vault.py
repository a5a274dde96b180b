import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobdock.library.integrations.notes import (
    content_hash,
    note_paths,
    parse_note,
    render_connections,
    render_highlights,
    render_note,
)
from jobdock.library.integrations.vault import Vault, VaultError, safe_file_name


@pytest.mark.parametrize("title,expected", [
    ("../../etc/x", "etc x"),
    ("a/b\\c:d*e?f\"g<h>i|j", "a b c d e f g h i j"),
    ("  ..hidden  ", "hidden"),
    ("", "Untitled"),
    ("CON", "CON_"),
    ("Notes [draft] #1 ^x", "Notes draft 1 x"),
])
def test_safe_file_name(title, expected):
    assert safe_file_name(title) == expected


def test_long_title_is_bounded():
    assert len(safe_file_name("w" * 500)) == 120


def test_paths_never_leave_the_vault(tmp_path):
    root = tmp_path / "vault"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", root / "link")
    vault = Vault(root).check()
    for bad in ("../x.md", "/etc/passwd", "a/../../x.md", "link/x.md"):
        with pytest.raises(VaultError):
            vault.write_text(bad, "nope")
    assert list((tmp_path / "outside").iterdir()) == []
    paths = note_paths("../../etc/x", "Library")
    written = vault.write_text(paths.note, "ok")
    assert written.is_relative_to(root.resolve()) and written.read_text() == "ok"
    assert paths.note == "Library/etc x/etc x.md"


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    vault = Vault(tmp_path).check()
    vault.write_text("a/n.md", "one")
    vault.write_text("a/n.md", "two")
    assert vault.read_text("a/n.md") == "two"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["n.md"]


def test_missing_or_unwritable_vault_is_a_clear_error(tmp_path):
    with pytest.raises(VaultError, match="does not exist"):
        Vault(tmp_path / "nope").check()
    with pytest.raises(VaultError, match="absolute"):
        Vault("relative/vault").check()
    with pytest.raises(VaultError, match="not a folder"):
        Vault(_file(tmp_path / "f")).check()
    locked = tmp_path / "locked"
    locked.mkdir()
    with _read_only(locked):
        with pytest.raises(VaultError, match="not writable"):
            Vault(locked).check()
        assert list(locked.iterdir()) == []


def _file(path: Path) -> Path:
    path.write_text("x")
    return path


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """chmod for a normal user; root ignores modes, so it gets the immutable flag."""
    if os.geteuid() != 0:
        folder.chmod(0o500)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
        pytest.skip("cannot make a folder read-only here (no chattr)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_note_round_trip_and_hash_ignores_editor_noise():
    text = render_note({"id": "d1", "title": "T: x", "source": "pdf", "tags": ["a"],
                        "created": "2026-01-01T00:00:00Z"}, "# Head\n\nBody text.\n")
    parsed = parse_note(text)
    assert parsed.front["title"] == "T: x" and parsed.front["tags"] == ["a"]
    assert content_hash(parsed.body) == content_hash("# Head\n\nBody text.")
    assert content_hash("# Head  \r\n\r\nBody text.\n\n") == content_hash(parsed.body)
    assert content_hash("# Head\n\nBody text!") != content_hash(parsed.body)
    broken = parse_note("---\ntitle: [unclosed\n---\n\nBody\n")
    assert not broken.front_ok and broken.body.strip() == "Body"
    assert parse_note("no front matter").body == "no front matter"


def test_highlights_and_connections_notes():
    h = render_highlights("Doc", "d1", [{"id": "a1", "quote": "Some\nquote", "note": "mine",
                                         "color": "blue", "source": "readwise",
                                         "tags": ["big idea"]}])
    assert "> Some quote" in h and "**Note:** mine" in h and "#big-idea" in h
    c = render_connections("Doc", [{"name": "Other Doc", "type": "semantic_similarity",
                                    "strength": 0.8123}])
    assert "- [[Other Doc]] — semantic similarity, strength 0.81" in c


def test_both_dialects_define_the_same_integration_queries() -> None:
    from jobdock.library.integrations.store import PACKAGE
    from jobdock.store.queries import load_queries

    assert set(load_queries("postgres", PACKAGE)) == set(load_queries("sqlite", PACKAGE))

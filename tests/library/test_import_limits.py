"""Import archives within limits, manifests checked first (issue 12, defects 5 and 7).

The archives are real ZIPs built here: a zip bomb (256 MiB of zeros in ~250 KB), an
archive listing 2,000 documents, malformed manifests.
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from jobdock.library.import_bundle import ImportLimits, ImportRefused, read_bundle

ROOT = Path(__file__).resolve().parents[2]
CHUNKS = json.dumps({"document_id": "d1", "chunks": []}).encode()


def export_zip(manifest: object, files: dict[str, bytes] | None = None,
               raw_manifest: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", raw_manifest if raw_manifest is not None
                    else json.dumps(manifest))
        for name, data in (files or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(gib: float = 1.0) -> bytes:
    """One document whose content.md is ``gib`` GiB of zeros (1 GiB: about 1 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("manifest.json", json.dumps({"version": "1.0", "documents": [{"id": "d1"}]}))
        zf.writestr("d1/chunks.json", CHUNKS)
        with zf.open("d1/content.md", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(int(gib * 1024)):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zip_bomb(gib=0.25)
    assert len(bomb) < 1_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ImportRefused, match="limit"):
        read_bundle(bomb)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 100 * 1024, f"reading the bomb grew the peak RSS by {grown_kib} KiB"


def test_a_member_that_inflates_past_the_ratio_is_refused_even_when_small_in_total() -> None:
    bomb = zip_bomb(gib=0.05)  # 50 MiB of zeros: within size limits, not within the ratio
    with pytest.raises(ImportRefused, match="compressed"):
        read_bundle(bomb)


def test_limits_are_configurable() -> None:
    bundle = export_zip({"version": "1.0", "documents": [{"id": "d1", "title": "One"}]},
                        {"d1/chunks.json": CHUNKS, "d1/content.md": b"x" * 5000})
    assert read_bundle(bundle)["d1"][0] == "One"
    with pytest.raises(ImportRefused, match="per file"):
        read_bundle(bundle, ImportLimits(max_file_bytes=1000))
    with pytest.raises(ImportRefused, match="total"):
        read_bundle(bundle, ImportLimits(max_total_bytes=3000))


def test_too_many_documents_are_refused() -> None:
    docs = [{"id": f"d{i}"} for i in range(2000)]
    files = {f"d{i}/chunks.json": CHUNKS for i in range(2000)}
    with pytest.raises(ImportRefused, match="2,000 documents"):
        read_bundle(export_zip({"version": "1.0", "documents": docs}, files))


@pytest.mark.parametrize(("manifest", "raw", "says"), [
    ([], None, "schema"),
    ({"version": "1.0", "documents": [1]}, None, "documents.0"),
    ({"version": "1.0"}, None, "documents"),
    (None, b"{not json", "not valid JSON"),
    ({"version": "1.0", "documents": [{"id": "../../etc"}]}, None, "documents.0.id"),
    ({"version": "1.0", "documents": [{"id": "a"}, {"id": "a"}]}, None, "twice"),
])
def test_malformed_manifests_are_refused_with_one_sentence(manifest: object, raw: bytes | None,
                                                           says: str) -> None:
    files = {"a/chunks.json": CHUNKS, "../../etc/chunks.json": CHUNKS}
    with pytest.raises(ImportRefused, match=says) as caught:
        read_bundle(export_zip(manifest, files, raw))
    assert "\n" not in str(caught.value)


def test_a_document_manifest_that_is_a_list_is_refused() -> None:
    bundle = export_zip({"version": "1.0", "documents": [{"id": "d1"}]},
                        {"d1/chunks.json": CHUNKS, "d1/manifest.json": b"[1, 2]"})
    with pytest.raises(ImportRefused, match=r"d1/manifest\.json"):
        read_bundle(bundle)


def test_not_a_zip_is_refused() -> None:
    with pytest.raises(ImportRefused, match="not a ZIP"):
        read_bundle(b"PK but not really")


def test_limits_come_from_the_environment() -> None:
    limits = ImportLimits.from_env({"JOBDOCK_IMPORT_MAX_DOCUMENTS": "3",
                                    "JOBDOCK_IMPORT_MAX_RATIO": "10"})
    assert limits.max_documents == 3 and limits.max_ratio == 10.0
    assert limits.max_file_bytes == ImportLimits().max_file_bytes
    with pytest.raises(ImportRefused, match="not a number"):
        ImportLimits.from_env({"JOBDOCK_IMPORT_MAX_DOCUMENTS": "lots"})


def _cli_import(archive: bytes, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "import.zip"
    path.write_bytes(archive)
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "storage"),
         "documents", "import", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, **env})


@pytest.mark.parametrize("case", ["bomb", "too many", "manifest is a list", "bad json"])
def test_cli_import_refusals_are_one_line_exit_2_and_leave_nothing(tmp_path: Path,
                                                                    case: str) -> None:
    archives = {
        "bomb": lambda: zip_bomb(gib=0.05),
        "too many": lambda: export_zip({"version": "1.0",
                                        "documents": [{"id": f"d{i}"} for i in range(5)]},
                                       {f"d{i}/chunks.json": CHUNKS for i in range(5)}),
        "manifest is a list": lambda: export_zip([]),
        "bad json": lambda: export_zip(None, raw_manifest=b"{oops"),
    }
    done = _cli_import(archives[case](), tmp_path, JOBDOCK_IMPORT_MAX_DOCUMENTS="4")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert len([ln for ln in done.stderr.splitlines() if ln.strip()]) == 1, done.stderr
    storage = tmp_path / "storage"
    assert not storage.exists() or not any(p.is_file() for p in storage.rglob("*"))

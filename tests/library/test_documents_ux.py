"""Issue 14, items 2, 3, 5 and 6: the document commands as a newcomer meets them."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.library.service import DocumentService
from tests.fixtures import make_fixtures

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{home / 'db.sqlite'}", "--storage-url", str(home / "storage"), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    make_fixtures.make_pdf(path)
    return path


def docs_of(home: Path) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(run(home, "documents", "list", "--json").stdout)  # type: ignore[no-any-return]


def test_add_run_prints_why_processing_failed_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    result = run(tmp_path, "documents", "add", str(broken), "--run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "error:" in result.stderr and "[permanent]" in result.stderr
    assert "PDF" in result.stderr and "Traceback" not in result.stderr


def test_zip_import_honours_skip_and_keeps_the_documents_details(report: Path,
                                                                tmp_path: Path) -> None:
    home, other = tmp_path / "a", tmp_path / "b"
    assert run(home, "documents", "add", str(report), "--run").returncode == 0
    (original,) = docs_of(home)
    out = tmp_path / "export.zip"
    assert run(home, "documents", "export", original["id"], "--out", str(out),
               "--run").returncode == 0
    first = run(other, "documents", "import", str(out), "--strategy", "skip", "--run")
    assert first.returncode == 0, first.stderr
    again = run(other, "documents", "import", str(out), "--strategy", "skip", "--run")
    assert again.returncode == 0 and "skipped" in again.stdout
    (copy,) = docs_of(other)
    for key in ("id", "title", "source_type", "filename", "page_count", "embedder",
                "chunk_count", "status"):
        assert copy[key] == original[key], key
    assert copy["metadata"]["outline"] == original["metadata"]["outline"] != []
    replaced = run(other, "documents", "import", str(out), "--strategy", "replace", "--run")
    assert replaced.returncode == 0 and len(docs_of(other)) == 1


def test_show_chunks_reads_as_text_not_dict_reprs(report: Path, tmp_path: Path) -> None:
    assert run(tmp_path, "documents", "add", str(report), "--run").returncode == 0
    (doc,) = docs_of(tmp_path)
    shown = run(tmp_path, "documents", "show", doc["id"], "--chunks").stdout
    assert "The Jobdock Handbook" in shown and "#0" in shown and "words" in shown
    assert "{'" not in shown and "'embedding'" not in shown and "[0." not in shown


def test_delete_removes_the_document_its_chunks_and_files(report: Path, tmp_path: Path) -> None:
    assert run(tmp_path, "documents", "add", str(report), "--run").returncode == 0
    (doc,) = docs_of(tmp_path)
    stored = tmp_path / "storage" / "documents" / doc["user_id"] / doc["id"]
    assert any(stored.rglob("*"))
    deleted = run(tmp_path, "documents", "delete", doc["id"])
    assert deleted.returncode == 0 and "chunk" in deleted.stdout
    assert docs_of(tmp_path) == [] and not any(p.is_file() for p in stored.rglob("*"))
    pending = run(tmp_path, "documents", "add", str(report))  # no worker: its job waits
    (busy,) = docs_of(tmp_path)
    refused = run(tmp_path, "documents", "delete", busy["id"])
    assert pending.returncode == 0 and refused.returncode == 2
    assert "cancel it first" in refused.stderr


async def test_document_jobs_carry_the_title_and_say_what_they_do(dock: Dock) -> None:
    service = DocumentService.of(dock)
    doc, job = await service.add("ann", "my-notes.md", b"# Notes\n\nSome words here.\n")
    assert job.metadata["title"] == doc["title"] == "my-notes"
    labels = {t.name: t.label for t in dock.registry.all()}
    assert labels["process_document"] == "Processing document"
    assert labels["import_document"] == "Importing document"
    assert labels["export_documents"] == "Exporting documents"
    export = await service.export("ann", [doc["id"]])
    assert export.metadata["title"] == "my-notes"


async def test_a_processed_document_job_is_titled_by_the_title_found_inside(
        dock: Dock, tmp_path: Path) -> None:
    from jobdock.jobs.describe import job_title
    from tests.support.documents import drain

    pdf = tmp_path / "report.pdf"
    make_fixtures.make_pdf(pdf)
    _, job = await DocumentService.of(dock).add("ann", "report.pdf", pdf.read_bytes())
    assert job_title(job) == "report"
    await drain(dock)
    assert job_title(await dock.admin.get_job(job.id)) == "The Jobdock Handbook"


def test_list_is_greppable_when_piped_and_fits_80_columns_at_a_terminal(
        report: Path, tmp_path: Path) -> None:
    assert run(tmp_path, "documents", "add", str(report), "--run").returncode == 0
    (doc,) = docs_of(tmp_path)
    piped = run(tmp_path, "documents", "list").stdout
    fields = piped.rstrip("\n").split("\t")
    assert piped.count("\n") == 1 and fields[:2] == [doc["id"], "completed"], piped
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    proc = subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "storage"),
         "documents", "list"], stdout=follower, stderr=follower, cwd=ROOT, env=env,
        timeout=120)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode())
    assert proc.returncode == 0 and "completed" in shown and doc["title"] in shown, shown
    assert max(len(line) for line in shown.splitlines()) <= 80, shown

"""process_document end to end: every format, offsets, headers, bad input, pause and resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobdock.app import Dock
from jobdock.jobs.context import JobContext
from jobdock.jobs.interrupts import Interrupt, JobInterrupted
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from jobdock.library.handlers import process as process_module
from jobdock.library.service import DocumentService
from jobdock.store import JobFilter
from tests.fixtures import make_fixtures
from tests.support.documents import drain, final_job

MAX_TOKENS = 800


def _final(dock: Dock, doc: dict[str, Any], name: str) -> bytes:
    data = dock.storage.get(f"documents/{doc['user_id']}/{doc['id']}/{name}")
    assert data is not None, name
    return data


@pytest.mark.parametrize("name", ["report.pdf", "book.epub", "page.html", "notes.md",
                                  "plain.txt"])
async def test_each_format_is_extracted_chunked_and_embedded(dock: Dock, sources, name) -> None:  # type: ignore[no-untyped-def]
    doc, job = await DocumentService.of(dock).add("ann", name, sources[name].read_bytes())
    await drain(dock)
    done = await final_job(dock, job)
    assert done.status is JobStatus.COMPLETED, done.error_message
    doc = await DocumentService.of(dock).get(doc["id"])
    assert doc["status"] == "completed" and doc["chunk_count"] > 0
    assert doc["markdown_available"] and doc["embeddings_available"]
    markdown = _final(dock, doc, "content.md").decode()
    chunks = await DocumentService.of(dock).chunks(doc["id"])
    assert len(chunks) == doc["chunk_count"]
    for chunk in chunks:
        assert markdown[chunk["start_offset"]:chunk["end_offset"]] == chunk["content"]
        assert chunk["token_count"] <= MAX_TOKENS
        assert len(chunk["embedding"]) == 384
    assert any(chunk["heading_path"] for chunk in chunks), "no heading reached a chunk"
    if name == "report.pdf":
        assert "The Jobdock Handbook" not in markdown, "running header left in"
        assert "Page 3" not in markdown, "running footer left in"
    # intermediate checkpoints are gone, finals remain
    keys = dock.storage.list(f"documents/ann/{doc['id']}")
    assert not [k for k in keys if "/stage-" in k]
    assert {"content.md", "chunks.json", "metadata.json", "manifest.json"} <= \
        {k.rsplit("/", 1)[1] for k in keys}


@pytest.mark.parametrize("maker,needle,suffix", [
    (make_fixtures.make_corrupt_pdf, "corrupt", ".pdf"),
    (make_fixtures.make_encrypted_pdf, "encrypted", ".pdf"),
    # an empty PDF or an unknown type is refused at upload (test_upload_refusals);
    # an empty text file gets as far as the worker
    (lambda p: p.write_bytes(b""), "empty", ".txt"),
])
async def test_bad_input_fails_permanently_with_a_clear_message(
        dock: Dock, tmp_path: Path, maker, needle, suffix) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"bad{suffix}"
    maker(path)
    doc, job = await DocumentService.of(dock).add("ann", path.name, path.read_bytes())
    await drain(dock)
    failed = await final_job(dock, job)
    assert failed.status is JobStatus.FAILED
    assert failed.error_type is ErrorType.PERMANENT and failed.next_retry_at is None
    assert needle in failed.error_message.lower() and path.name in failed.error_message
    assert await DocumentService.of(dock).chunks(doc["id"]) == []
    assert (await DocumentService.of(dock).get(doc["id"]))["status"] == "failed"
    assert not await dock.store.job_retry_eligible(dock.clock.now())


# mid-save: paused after a batch of chunk rows and its cursor; mid-save-lost: the batch is
# in but its cursor is not (as if the worker died there), so the resume redoes it.
PAUSE_POINTS = [stage.name for stage in process_module.STAGES] + [
    "mid-embeddings", "mid-save", "mid-save-lost"]


@pytest.fixture
def pausing_type(dock: Dock) -> str:
    """process_document that asks to be paused once, at a chosen stage (first run only)."""

    def handler(ctx: JobContext) -> Any:
        where = ctx.input["pause_at"]
        if ctx.job.resume_count == 0:
            _arm_pause(ctx, where)
        return process_module.process_document(ctx)

    dock.registry.job_type("test_process_pausing", stages=process_module.STAGES)(handler)
    return "test_process_pausing"


def _arm_pause(ctx: JobContext, where: str) -> None:
    """Request a pause exactly when ``where`` begins (or halfway through the embeddings)."""
    original_run, original_safe = ctx.run_stage, ctx.safe_point

    def run_stage(name, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == where:
            ctx.port.request(Interrupt.PAUSE)
        return original_run(name, fn, *args, **kwargs)

    def safe_point(done=None, total=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        halfway = bool(done and total and done >= total // 2)
        stage = ctx.progress_snapshot()[1].get("stage")
        if where == "mid-embeddings" and halfway:
            ctx.port.request(Interrupt.PAUSE)
        if where.startswith("mid-save") and stage == "save" and halfway:
            ctx.port.request(Interrupt.PAUSE)
            if where == "mid-save-lost":
                raise JobInterrupted(Interrupt.PAUSE)  # before the cursor is saved
        return original_safe(done, total, *args, **kwargs)

    ctx.run_stage = run_stage  # type: ignore[method-assign]
    ctx.safe_point = safe_point  # type: ignore[method-assign]


async def _run(dock: Dock, doc: dict[str, Any], job_type: str, extra: dict[str, Any]) -> bytes:
    """Process ``doc`` with ``job_type``; resume it once if it paused; return chunks.json."""
    job = await dock.admin.submit(NewJob(job_type, {"document_id": doc["id"], **extra},
                                         user_id="ann", entity_type="document",
                                         entity_id=doc["id"]))
    await drain(dock)
    job = await final_job(dock, job)
    if extra.get("pause_at"):
        assert job.status is JobStatus.PAUSED
        await dock.admin.resume_job(job.id)
        await drain(dock)
        job = await final_job(dock, job)
        assert job.resume_count == 1
    assert job.status is JobStatus.COMPLETED, job.error_message
    return _final(dock, await DocumentService.of(dock).get(doc["id"]), "chunks.json")


@pytest.fixture(scope="module")
def medium_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("pdf") / "medium.pdf"
    make_fixtures.make_pdf(path, pages=12)
    return path.read_bytes()


@pytest.mark.parametrize("where", PAUSE_POINTS)
async def test_pause_in_each_stage_then_resume_gives_identical_chunks(
        dock: Dock, pausing_type: str, medium_pdf: bytes, where: str) -> None:
    doc, first = await DocumentService.of(dock).add("ann", "medium.pdf", medium_pdf)
    await dock.admin.cancel_and_delete_job(first.id)
    small = {"save_batch": 2}  # several batches of chunk rows, to pause between
    reference = await _run(dock, doc, "process_document", small)
    rows = await _chunk_rows(dock, doc["id"])
    resumed = await _run(dock, doc, pausing_type, {"pause_at": where, **small})
    assert resumed == reference
    assert await _chunk_rows(dock, doc["id"]) == rows and len(rows) >= 6


async def _chunk_rows(dock: Dock, document_id: str) -> list[dict[str, Any]]:
    chunks = await DocumentService.of(dock).chunks(document_id)
    return [{k: v for k, v in c.items() if k != "created_at"} for c in chunks]


async def test_finalize_queues_one_detect_connections_job(
        dock: Dock, sources) -> None:  # type: ignore[no-untyped-def]
    jobs = [(await DocumentService.of(dock).add("ann", n, sources[n].read_bytes()))[1]
            for n in ("report.pdf", "notes.md")]
    await drain(dock, types=("process_document",))
    queued = {(await final_job(dock, j)).output_data["connections_job_id"] for j in jobs}
    detect = await dock.admin.list_jobs(JobFilter(job_type="detect_connections"))
    assert len(detect) == 1, "one detect job while one is already pending"
    assert queued == {str(detect[0].id)}  # the second follow-up got the first's id
    assert detect[0].user_id == "ann" and detect[0].input_data["chunk_count"] >= 2
    # it waited for the process_document job that queued it (a dependency)
    [parent] = await dock.admin.dependencies(detect[0].id)
    assert parent["id"] in {str(j.id) for j in jobs} and parent["status"] == "completed"
    assert detect[0].deps_pending == 0

"""A worker SIGKILLed mid-embeddings: the job is rescued and writes the same chunks.json."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.library.service import DocumentService
from tests.docjobs.conftest import drain, final_job
from tests.fixtures import make_fixtures
from tests.processes import start_worker, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]
SMALL_CHUNKS = {"target_tokens": 32, "max_tokens": 64, "embed_batch": 8}


async def test_sigkill_mid_embeddings_resumes_to_identical_chunks(
        dock: Dock, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = tmp_path / "medium.pdf"
    make_fixtures.make_pdf(pdf, pages=12)
    doc, first = await DocumentService.of(dock).add("ann", pdf.name, pdf.read_bytes())
    await dock.admin.cancel_and_delete_job(first.id)

    async def process(job_type: str, extra: dict) -> NewJob:  # type: ignore[type-arg]
        return await dock.admin.submit(NewJob(
            job_type, {"document_id": doc["id"], **SMALL_CHUNKS, **extra}, user_id="ann",
            entity_type="document", entity_id=doc["id"]))

    reference_job = await process("process_document", {})
    await drain(dock)
    assert (await final_job(dock, reference_job)).status is JobStatus.COMPLETED
    key = f"documents/ann/{doc['id']}/chunks.json"
    reference = dock.storage.get(key)
    assert reference is not None and len(reference) > 1000

    stalled = tmp_path / "stalled"
    job = await process("test_process_stalling", {"stalled": str(stalled)})
    url, storage = settings.resolved_database_url(), tmp_path / "storage"
    worker = start_worker(url, storage, "--heartbeat-timeout", "1")
    await asyncio.to_thread(wait_until, stalled.exists, 120, "the embeddings to stall")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    halfway = (await dock.admin.get_job(job.id))
    assert halfway.status is JobStatus.PROCESSING
    assert ".cursor-" in (halfway.last_checkpoint_path or ""), "no in-stage cursor was saved"
    rescuer = start_worker(url, storage, "--heartbeat-timeout", "1")
    try:
        deadline = time.monotonic() + 120
        while (await dock.admin.get_job(job.id)).status not in (JobStatus.COMPLETED,
                                                               JobStatus.FAILED):
            assert time.monotonic() < deadline, "the rescued job did not finish"
            await asyncio.sleep(0.05)
    finally:
        rescuer.send_signal(signal.SIGTERM)
        rescuer.wait(timeout=30)
    done = await dock.admin.get_job(job.id)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.metadata["rescue_count"] == 1
    assert dock.storage.get(key) == reference


"""Document-processing benchmark: extraction, chunking, embeddings, end to end, pause cost.

    python bench/documents_bench.py [--pages 300] [--embedders hashing,minilm]

Prints pages/s for extraction, chunking time, chunks/s per embedder, the end-to-end time
of process_document on the generated PDF (SQLite, one worker in-process), the time lost
to one pause/resume in the embeddings stage, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.make_fixtures import make_large_pdf  # noqa: E402

from jobdock.app import Dock  # noqa: E402
from jobdock.jobs.interrupts import Interrupt  # noqa: E402
from jobdock.jobs.model import JobStatus, NewJob  # noqa: E402
from jobdock.library.service import DocumentService  # noqa: E402
from jobdock.library.text import (  # noqa: E402
    chunk_markdown,
    cleanup_with_pages,
    enrich,
    extract,
    get_embedder,
)
from jobdock.settings import Settings  # noqa: E402
from jobdock.worker import WorkerSettings  # noqa: E402


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def stage_figures(pdf: bytes, embedders: list[str]) -> tuple[dict[str, float], int]:
    extracted, t_extract = timed(extract, pdf, "large.pdf")
    (markdown, spans), t_clean = timed(
        lambda: cleanup_with_pages(extracted.pages, kind=extracted.format))
    chunks, t_chunk = timed(chunk_markdown, markdown, spans)
    _, t_meta = timed(enrich, chunks, markdown)
    pages = len(extracted.pages)
    figures = {"pages": pages, "extract_pages_per_s": pages / t_extract,
               "cleanup_s": t_clean, "chunking_s": t_chunk, "chunks": len(chunks),
               "metadata_s": t_meta}
    texts = [c.content for c in chunks]
    for name in embedders:
        embedder = get_embedder(name)
        embedder.embed(texts[:4])  # load the model outside the timing
        _, t_embed = timed(embedder.embed, texts)
        figures[f"embed_{name}_chunks_per_s"] = len(texts) / t_embed
    return figures, len(chunks)


async def end_to_end(pdf: bytes, embedder: str, pause: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        dock = await Dock.open(Settings(database_url=f"sqlite:///{tmp}/db.sqlite",
                                        storage_url=f"{tmp}/storage"))
        try:
            if pause:
                register_pausing(dock)
            doc, job = await DocumentService.of(dock).add("bench", "large.pdf", pdf,
                                                          embedder=embedder)
            if pause:
                await dock.admin.cancel_and_delete_job(job.id)
                job = await dock.admin.submit(NewJob(
                    "bench_process_pausing", {"document_id": doc["id"], "embedder": embedder},
                    user_id="bench", entity_type="document", entity_id=doc["id"]))
            start = time.perf_counter()
            await dock.worker(WorkerSettings(burst=True, sync_interval=0.05)).run()
            if pause:
                assert (await dock.admin.get_job(job.id)).status is JobStatus.PAUSED
                await dock.admin.resume_job(job.id)
                await dock.worker(WorkerSettings(burst=True, sync_interval=0.05)).run()
            done = await dock.admin.get_job(job.id)
            assert done.status is JobStatus.COMPLETED, done.error_message
            return time.perf_counter() - start
        finally:
            await dock.close()


def register_pausing(dock: Dock) -> None:
    from jobdock.library.handlers import process

    def handler(ctx):  # type: ignore[no-untyped-def]
        if ctx.job.resume_count == 0:
            original = ctx.safe_point

            def safe_point(done=None, total=None, *a, **k):  # type: ignore[no-untyped-def]
                if done and total and done >= total // 2:
                    ctx.port.request(Interrupt.PAUSE)
                return original(done, total, *a, **k)

            ctx.safe_point = safe_point
        return process.process_document(ctx)

    dock.registry.job_type("bench_process_pausing", stages=process.STAGES)(handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--embedders", default="hashing,minilm")
    args = parser.parse_args()
    embedders = [e for e in args.embedders.split(",") if e]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.pdf"
        make_large_pdf(path, pages=args.pages)
        pdf = path.read_bytes()
    figures, _ = stage_figures(pdf, embedders)
    for name in embedders:
        figures[f"end_to_end_{name}_s"] = asyncio.run(end_to_end(pdf, name, pause=False))
    if "hashing" in embedders:  # the pause cost is measured against the hashing run
        figures["end_to_end_hashing_with_pause_s"] = asyncio.run(
            end_to_end(pdf, "hashing", True))
        figures["pause_resume_cost_s"] = (figures["end_to_end_hashing_with_pause_s"]
                                          - figures["end_to_end_hashing_s"])
    figures["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for key, value in figures.items():
        print(f"{key:40s} {value:12.2f}" if isinstance(value, float) else f"{key:40s} {value:12}")


if __name__ == "__main__":
    main()

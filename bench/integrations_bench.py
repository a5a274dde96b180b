"""Integrations benchmark: Readwise import, Obsidian export, Obsidian sync vs reprocessing.

    python bench/integrations_bench.py [--pages 300] [--runs 3] [--embedder hashing]

Prints (medians of --runs runs, SQLite, one in-process burst worker):
- Readwise import highlights/s through the fake Readwise API (pages of 10 books x 20);
- Obsidian export documents/s (--docs small documents into a temporary vault);
- obsidian_sync time for a --pages page document with one paragraph edited in the vault,
  next to process_document on the same text (the whole reprocess the sync avoids).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from jobdock.app import Dock  # noqa: E402
from jobdock.jobs.model import JobStatus, NewJob  # noqa: E402
from jobdock.library.integrations.fake_readwise import FakeReadwise  # noqa: E402
from jobdock.library.integrations.service import IntegrationService  # noqa: E402
from jobdock.library.service import DocumentService  # noqa: E402
from jobdock.settings import Settings  # noqa: E402
from jobdock.worker import WorkerSettings  # noqa: E402

USER = "bench"
WORDS = ("river", "stone", "light", "paper", "window", "garden", "archive", "argument",
         "memory", "witness", "map", "territory", "gardener", "branch", "winter",
         "spring", "value", "theory", "catalogue", "story")


def paragraph(n: int, words: int = 90) -> str:
    return " ".join(WORDS[(n * 7 + i * 3 + i * i) % len(WORDS)] for i in range(words)) + \
        f" (paragraph {n})."


def long_markdown(pages: int) -> str:
    """About 3000 characters a page: a heading every 10 pages, 5 paragraphs a page."""
    parts = []
    for p in range(pages):
        if p % 10 == 0:
            parts.append(f"## Chapter {p // 10 + 1}")
        parts += [paragraph(p * 5 + k) for k in range(5)]
    return "\n\n".join(parts) + "\n"


async def drain(dock: Dock) -> float:
    start = time.perf_counter()
    await dock.worker(WorkerSettings(burst=True, concurrency=1, sync_interval=0.02,
                                     poll_interval=0.02)).run()
    return time.perf_counter() - start


async def open_dock(tmp: str) -> Dock:
    return await Dock.open(Settings(database_url=f"sqlite:///{tmp}/db.sqlite",
                                    storage_url=f"{tmp}/storage"))


async def add_document(dock: Dock, title: str, text: str, embedder: str) -> dict[str, Any]:
    doc, _ = await DocumentService.of(dock).add(USER, f"{title}.md", text.encode(),
                                                title=title, embedder=embedder)
    await drain(dock)
    return await DocumentService.of(dock).get(doc["id"])


async def job_output(dock: Dock, job_id: Any) -> dict[str, Any]:
    job = await dock.admin.get_job(job_id)
    assert job.status is JobStatus.COMPLETED, job.error_message
    return job.output_data or {}


async def readwise_import(embedder: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        dock = await open_dock(tmp)
        try:
            text = long_markdown(40)
            doc = await add_document(dock, "Readwise Target", text, embedder)
            paragraphs = [p for p in text.split("\n\n") if not p.startswith("#")]
            books = [{"user_book_id": b, "title": doc["title"], "highlights": [
                {"id": b * 1000 + i, "text": paragraphs[(b * 20 + i) % len(paragraphs)][:120],
                 "location": i, "location_type": "order", "updated_at": "2026-01-01"}
                for i in range(20)]} for b in range(50)]
            total = sum(len(b["highlights"]) for b in books)
            service = IntegrationService.of(dock)
            with FakeReadwise(books, page_size=10) as fake:
                await service.save_settings(USER, {"readwise_base_url": fake.url})
                await service.set_readwise_token(USER, fake.token)
                job = await service.import_api(USER)
                elapsed = await drain(dock)
            out = await job_output(dock, job.id)
            assert out["imported"] + out["alreadyImported"] == total, out
            return total / elapsed
        finally:
            await dock.close()


async def obsidian_export(n_docs: int, embedder: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        dock = await open_dock(tmp)
        try:
            vault = Path(tmp) / "vault"
            vault.mkdir()
            service = IntegrationService.of(dock)
            await service.save_settings(USER, {"vault_path": str(vault)})
            docs = [await add_document(dock, f"Document {i}", long_markdown(3), embedder)
                    for i in range(n_docs)]
            for doc in docs:
                await service.export(USER, doc["id"])
            elapsed = await drain(dock)
            assert len(list(vault.rglob("*.md"))) == n_docs
            return n_docs / elapsed
        finally:
            await dock.close()


async def sync_vs_reprocess(pages: int, embedder: str) -> tuple[float, float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        dock = await open_dock(tmp)
        try:
            vault = Path(tmp) / "vault"
            vault.mkdir()
            service = IntegrationService.of(dock)
            await service.save_settings(USER, {"vault_path": str(vault)})
            text = long_markdown(pages)
            doc = await add_document(dock, "Long Book", text, embedder)
            await service.export(USER, doc["id"])
            await drain(dock)
            note = next(vault.rglob("Long Book.md"))
            target = paragraph(pages * 5 // 2)
            note.write_text(note.read_text().replace(target, "An edited paragraph. " + target))
            job = await service.sync(USER, doc["id"])
            t_sync = await drain(dock)
            out = await job_output(dock, job.id)
            assert out["action"] == "from_vault", out
            again = await dock.admin.submit(NewJob(
                "process_document", {"document_id": doc["id"], "embedder": embedder},
                user_id=USER, entity_type="document", entity_id=doc["id"]))
            t_full = await drain(dock)
            await job_output(dock, again.id)
            return t_sync, t_full, out
        finally:
            await dock.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--docs", type=int, default=30)
    parser.add_argument("--embedder", default="hashing")
    args = parser.parse_args()
    rates = [await readwise_import(args.embedder) for _ in range(args.runs)]
    print(f"readwise_import: {statistics.median(rates):.0f} highlights/s "
          f"(median of {args.runs}; 1000 highlights, 5 pages, fake Readwise API)")
    rates = [await obsidian_export(args.docs, args.embedder) for _ in range(args.runs)]
    print(f"obsidian_export: {statistics.median(rates):.1f} documents/s "
          f"(median of {args.runs}; {args.docs} documents of 3 pages)")
    syncs, fulls, out = [], [], {}
    for _ in range(args.runs):
        t_sync, t_full, out = await sync_vs_reprocess(args.pages, args.embedder)
        syncs.append(t_sync)
        fulls.append(t_full)
    s, f = statistics.median(syncs), statistics.median(fulls)
    print(f"obsidian_sync, {args.pages} pages, one paragraph changed: {s:.2f} s "
          f"(chunks {out['chunks']}, re-embedded {out['chunks_embedded']}); "
          f"process_document on the same text: {f:.2f} s; ratio {f / s:.1f}x "
          f"(median of {args.runs}, embedder {args.embedder})")


if __name__ == "__main__":
    asyncio.run(main())

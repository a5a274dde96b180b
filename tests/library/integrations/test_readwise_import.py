"""readwise_import end to end on both stores: files, the API through the fake Readwise
server (pages, a 429, a pause and resume), idempotent re-runs and bad input."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from jobdock.admin import InvalidRequest
from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import ErrorType, JobStatus
from jobdock.library.integrations.fake_readwise import FakeReadwise
from jobdock.library.integrations.service import IntegrationService, schedule_name
from jobdock.library.integrations.store import IntegrationStore
from jobdock.store import JobFilter
from jobdock.worker.scheduler import PeriodicEnqueuer
from tests.library.integrations.support import (
    PARAGRAPHS,
    content,
    finished,
    processed_document,
    run_job,
)
from tests.support.documents import drain, final_job

USER = "ann"


def _highlights(text: str) -> list[dict[str, Any]]:
    """Three exact quotes, one reworded (fuzzy), one from no book at all (fails)."""
    exact = [PARAGRAPHS[0][:60], PARAGRAPHS[2][10:90], PARAGRAPHS[4][:70]]
    assert all(q in text for q in exact)
    fuzzy = PARAGRAPHS[1][:80].replace("open window", "opened windows").replace("holds", "held")
    return [{"text": q, "note": f"n{i}"} for i, q in enumerate(exact)] + [
        {"text": fuzzy, "note": "fuzzy"},
        {"text": "Quantum chromodynamics has little to say about gardens or rivers at all."}]


def _csv(title: str, items: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Highlight", "Book Title", "Book Author", "Amazon Book ID", "Note",
                     "Color", "Tags", "Location Type", "Location", "Highlighted at",
                     "Document tags"])
    for i, item in enumerate(items):
        writer.writerow([item["text"], title, "A. Writer", "", item.get("note", ""), "blue",
                         "", "order", i + 1, "2026-01-01 10:00:00+00:00", ""])
    return out.getvalue().encode()


async def test_file_import_sorts_exact_fuzzy_failed_and_never_twice(dock: Dock) -> None:
    doc = await processed_document(dock)
    text = content(dock, doc)
    service = IntegrationService.of(dock)
    data = _csv(doc["title"], _highlights(text))
    out = finished(await run_job(dock, await service.import_file(USER, "export.csv", data)))
    assert (out["imported"], out["needsReview"], out["failed"]) == (3, 1, 1)
    assert "no passage matches" in out["failures"][0]["reason"]
    annotations = await service.annotations(doc["id"], USER)
    assert len(annotations) == 3
    for ann in annotations:
        assert text[ann["start_offset"]:ann["end_offset"]] == ann["quote"]
        assert ann["source"] == "readwise" and ann["color"] == "blue"
        assert ann["chunk_id"] is not None
    [entry] = await service.review_list(USER)
    assert entry["confidence"] > 0.7 and "window" in entry["suggested_text"]

    again = finished(await run_job(dock, await service.import_file(USER, "export.csv", data)))
    assert (again["imported"], again["needsReview"], again["alreadyImported"]) == (0, 0, 4)
    assert len(await service.annotations(doc["id"], USER)) == 3
    assert len(await service.review_list(USER, None)) == 1


async def test_json_export_into_a_named_document(dock: Dock) -> None:
    doc = await processed_document(dock)
    other = await processed_document(dock, title="Unrelated")
    books = [{"title": "Whatever the book was called", "highlights": [
        {"id": 11, "text": PARAGRAPHS[3][:50], "location": 1, "location_type": "order"}]}]
    service = IntegrationService.of(dock)
    job = await service.import_file(USER, "export.json", json.dumps(books).encode(),
                                    document_id=doc["id"])
    assert finished(await run_job(dock, job))["imported"] == 1
    assert len(await service.annotations(doc["id"], USER)) == 1
    assert await service.annotations(other["id"], USER) == []


@pytest.mark.parametrize("data,name,words", [
    (b"Title,Author\nA,B\n", "export.csv", 'no "Highlight" column'),
    (b'{"results": [', "export.json", "not valid JSON"),
])
async def test_malformed_export_is_refused_and_nothing_changes(dock: Dock, data: bytes,
                                                               name: str, words: str) -> None:
    service = IntegrationService.of(dock)
    with pytest.raises(InvalidRequest, match=words):
        await service.import_file(USER, name, data)
    assert await dock.admin.list_jobs(JobFilter()) == []
    assert not dock.storage.list(f"integrations/{USER}")


def _books_from(text: str, n_books: int, per_book: int, title: str) -> list[dict[str, Any]]:
    """``n_books`` Readwise books (one per page) whose highlights quote ``text`` exactly."""
    sentences = [s.strip() for s in text.replace("\n", " ").split(".") if len(s.strip()) > 40]
    books, k = [], 0
    for b in range(n_books):
        highlights = []
        for _ in range(per_book):
            highlights.append({"id": 1000 + k, "text": sentences[k % len(sentences)] + ".",
                               "location": k, "location_type": "order",
                               "updated_at": "2026-01-01T00:00:00Z", "color": "yellow"})
            k += 1
        books.append({"user_book_id": b, "title": title, "highlights": highlights})
    return books


async def test_api_import_pages_a_429_and_a_pause_each_highlight_once(dock: Dock) -> None:
    doc = await processed_document(dock, markdown=None)
    text = content(dock, doc)
    books = _books_from(text, n_books=5, per_book=3, title=doc["title"])
    service = IntegrationService.of(dock)
    with FakeReadwise(books, page_size=1) as fake:
        await service.save_settings(USER, {"readwise_base_url": fake.url})
        await service.set_readwise_token(USER, fake.token)
        fake.fail(2, 429, retry_after="1")  # page 2 is throttled once
        hold = fake.hold(4)  # page 3 (4th request) waits until the test has paused the job
        job = await service.import_api(USER)
        worker = asyncio.create_task(drain(dock))
        assert await asyncio.to_thread(hold.arrived.wait, 60)
        await dock.admin.pause_job(job.id)
        hold.release.set()
        await worker
        paused = await final_job(dock, job)
        assert paused.status is JobStatus.PAUSED
        await dock.admin.resume_job(job.id)
        out = finished(await run_job(dock, job))
        requests = fake.export_requests
    assert (out["imported"], out["alreadyImported"], out["failed"]) == (15, 0, 0)
    assert out["pages"] == 5
    cursors = [r["params"].get("pageCursor") for r in requests]
    # every page asked for once, except the throttled one, asked again
    assert len(cursors) == 6 and cursors[1] == cursors[2] and len(set(cursors)) == 5
    assert requests[2]["at"] - requests[1]["at"] >= 1.0  # Retry-After was honoured
    annotations = await IntegrationStore(dock.store).annotation_list(doc["id"])
    ids = [a["external_id"] for a in annotations]
    assert len(ids) == 15 and len(set(ids)) == 15
    settings = await service.settings(USER)
    assert settings["readwise_synced_until"]  # the next import asks only for what is newer


async def test_wrong_token_fails_permanently_and_changes_nothing(dock: Dock) -> None:
    doc = await processed_document(dock)
    books = _books_from(content(dock, doc), 2, 2, doc["title"])
    service = IntegrationService.of(dock)
    with FakeReadwise(books) as fake:
        await service.save_settings(USER, {"readwise_base_url": fake.url})
        await service.set_readwise_token(USER, "not-the-token")
        failed = await run_job(dock, await service.import_api(USER))
    assert failed.status is JobStatus.FAILED
    assert failed.error_type is ErrorType.PERMANENT and failed.retry_count == 0
    assert "rejected the token (HTTP 401)" in (failed.error_message or "")
    assert "not-the-token" not in json.dumps(failed.to_dict(), default=str)
    assert await service.annotations(doc["id"], USER) == []
    assert (await service.settings(USER))["readwise_synced_until"] is None


async def test_import_every_n_hours_is_a_periodic_schedule(fake_dock: Dock,
                                                            clock: FakeClock) -> None:
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    service = IntegrationService.of(fake_dock)
    await service.save_settings(USER, {"readwise_every_hours": 6})
    [row] = await fake_dock.admin.schedule_list()
    assert (row["name"], row["job_type"]) == (schedule_name(USER), "readwise_import")
    enqueuers = [PeriodicEnqueuer(fake_dock.store, clock, fake_dock.registry) for _ in range(3)]
    clock.set(datetime(2030, 1, 1, 6, 0, 1, tzinfo=UTC))
    await asyncio.gather(*(e.run_once() for e in enqueuers))
    [job] = await fake_dock.store.job_list(JobFilter())
    assert (job.job_type, job.user_id, job.input_data) == ("readwise_import", USER,
                                                           {"source": "api"})
    await service.save_settings(USER, {"vault_path": None})  # other settings: no change
    assert len(await fake_dock.admin.schedule_list()) == 1
    await service.save_settings(USER, {"readwise_every_hours": 0})
    assert await fake_dock.admin.schedule_list() == []

"""Helpers of the integration tests: a processed document and its text."""

from __future__ import annotations

from typing import Any

from jobdock.app import Dock
from jobdock.jobs.model import Job, JobStatus
from jobdock.library.service import DocumentService
from tests.support.documents import drain, final_job

PARAGRAPHS = [
    "The river remembers every stone it has carried down to the sea, and each stone "
    "remembers the river that shaped it.",
    "Light falls on the paper while the open window holds the whole garden still for a "
    "moment of quiet attention.",
    "Archives are arguments about what deserves to survive; every catalogue is a quiet "
    "theory of value.",
    "A map is not the territory, but a good map lets you argue about the territory with "
    "someone who has never been there.",
    "Memory works by reconstruction rather than retrieval, which is why two witnesses "
    "rarely tell the same story twice.",
    "The gardener prunes in winter so that in spring the tree spends its strength on "
    "fewer, better branches.",
]


def book_markdown(title: str = "Stone and River", sections: int = 3) -> str:
    parts = [f"# {title}", ""]
    for s in range(sections):
        parts += [f"## Part {s + 1}", ""]
        for p in PARAGRAPHS:
            parts += [f"{p} (Section {s + 1}.)", ""]
    return "\n".join(parts)


async def processed_document(dock: Dock, user_id: str = "ann", title: str = "Stone and River",
                             markdown: str | None = None) -> dict[str, Any]:
    service = DocumentService.of(dock)
    doc, job = await service.add(user_id, f"{title[:40] or 'doc'}.md",
                                 (markdown or book_markdown(title)).encode(), title=title)
    await drain(dock)
    done = await final_job(dock, job)
    assert done.status is JobStatus.COMPLETED, done.error_message
    return await service.get(doc["id"])


def content(dock: Dock, doc: dict[str, Any]) -> str:
    data = dock.storage.get(f"documents/{doc['user_id']}/{doc['id']}/content.md")
    assert data is not None
    return data.decode()


async def run_job(dock: Dock, job: Job) -> Job:
    await drain(dock)
    return await final_job(dock, job)


def finished(job: Job) -> dict[str, Any]:
    assert job.status is JobStatus.COMPLETED, job.error_message
    return job.output_data or {}

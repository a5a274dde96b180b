"""Memory of the text stages is bounded by the text, not by its word count (issue 12, #6)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

from jobdock.documents.text import chunk_markdown, document_metadata

PARAGRAPH = ("The worker claims a job, keeps its lease alive and writes a checkpoint after "
             "each stage, so that a crash loses little work. ") * 6


def peak_bytes(work: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_document_metadata_does_not_list_every_word() -> None:
    body = "\n\n".join([PARAGRAPH] * 4)
    markdown = "".join(f"## Part {i}\n\n{body}\n\n" for i in range(700))  # ~2 MB
    chunks = chunk_markdown(markdown)
    facts: dict[str, Any] = {}
    peak = peak_bytes(lambda: facts.update(document_metadata(markdown, chunks)))
    assert facts["word_count"] == len(markdown.split())
    assert peak < 2 * len(markdown), f"{peak / len(markdown):.1f}x the text"  # was 11.5x

"""Memory of the text stages is bounded by the text, not by its word count (issue 12, #6)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

from jobdock.library.text import chunk_markdown, document_metadata

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


def test_chunks_json_is_encoded_without_listing_every_fragment() -> None:
    import json

    from jobdock.library.files import encode

    vectors = [[round((i * 7 + j) % 1000 / 997.0 - 0.5, 6) for j in range(384)]
               for i in range(300)]
    document = {"chunks": [{"content": PARAGRAPH, "embedding": v} for v in vectors]}
    out: list[bytes] = []
    peak = peak_bytes(lambda: out.append(encode(document)))
    assert out[0] == (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
                      + "\n").encode()
    assert peak < 3 * len(out[0]), f"{peak / len(out[0]):.1f}x the file"  # was 4.9x

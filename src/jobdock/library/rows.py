"""The library's row shapes: what the document store returns for documents and chunks.

JSON columns arrive decoded, times as ISO strings (None when unset) and flags as bools,
so a row is exactly what the API and ``--json`` print.
"""

from __future__ import annotations

from typing import Any, TypedDict


class DocumentRow(TypedDict):
    id: str
    user_id: str
    title: str
    source_type: str
    filename: str | None
    storage_path: str
    status: str
    processing_error: str | None
    processing_started_at: str | None
    processing_completed_at: str | None
    page_count: int | None
    chunk_count: int
    word_count: int | None
    markdown_available: bool
    embeddings_available: bool
    embedder: str | None
    metadata: dict[str, Any]
    created_at: str
    updated_at: str


class ChunkRow(TypedDict):
    id: str
    chunk_index: int
    content: str
    start_offset: int
    end_offset: int
    heading_path: list[str]
    page_start: int | None
    page_end: int | None
    word_count: int
    token_count: int | None
    keywords: list[str]
    themes: list[str]
    summary: str | None
    importance_score: float | None
    embedding: list[float] | None
    user_data: dict[str, Any]

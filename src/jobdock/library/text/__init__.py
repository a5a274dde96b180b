"""The pure text pipeline behind ``process_document``: one function per stage.

extract (bytes → pages) → cleanup (pages → Markdown + page spans) → chunk_markdown
(heading-aware chunks with exact offsets) → enrich / document_metadata (local TF-IDF)
→ an Embedder (``hashing`` or ``minilm``). No database, no network; every result is
deterministic and JSON-serialisable, so each stage can be saved as a checkpoint.
"""

from jobdock.library.text.chunking import Chunk, chunk_markdown, count_tokens
from jobdock.library.text.cleanup import cleanup, cleanup_with_pages
from jobdock.library.text.embeddings import (
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    MiniLMEmbedder,
    embedder_window,
    get_embedder,
)
from jobdock.library.text.errors import (
    CorruptDocument,
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    UnsupportedFormat,
)
from jobdock.library.text.extract import detect_format, extract
from jobdock.library.text.metadata import ChunkMetadata, document_metadata, enrich
from jobdock.library.text.model import Extracted, Page

__all__ = [
    "Chunk",
    "ChunkMetadata",
    "CorruptDocument",
    "DocumentError",
    "Embedder",
    "EmbedderUnavailable",
    "EmptyDocument",
    "EncryptedDocument",
    "Extracted",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "Page",
    "UnsupportedFormat",
    "chunk_markdown",
    "cleanup",
    "cleanup_with_pages",
    "count_tokens",
    "detect_format",
    "document_metadata",
    "embedder_window",
    "enrich",
    "extract",
    "get_embedder",
]

"""What the document handlers need from the database, as a blocking interface.

The library binds it (wiring.py) to the key ``DOCUMENTS``; handlers get it from
``ctx.service(DOCUMENTS)`` and call it from their worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from jobdock.jobs.services import ServiceKey
from jobdock.library.rows import ChunkRow, DocumentRow


class DocumentRepo(Protocol):
    def get(self, document_id: str) -> DocumentRow | None: ...

    def create(self, *, user_id: str, title: str, source_type: str, filename: str | None,
               storage_path: str, document_id: str | None = None) -> DocumentRow: ...

    def set_status(self, document_id: str, status: str, error: str | None = None) -> None: ...

    def set_processed(self, document_id: str, **fields: Any) -> None: ...

    def replace_chunks(self, document_id: str, chunks: Sequence[Mapping[str, Any]]) -> int: ...

    def insert_chunks(self, document_id: str, chunks: Sequence[Mapping[str, Any]], *,
                      from_index: int | None = None) -> int:
        """Insert a batch of chunks; first delete the document's chunks from
        ``from_index`` on when given (one transaction)."""
        ...

    def chunks(self, document_id: str) -> list[ChunkRow]: ...

    def queue_unless_active(self, job_type: str, input_data: dict[str, Any], *,
                            user_id: str | None, entity_id: str | None) -> str | None:
        """Submit a follow-up job if that type is registered and none of the user's is
        pending or running; returns the new job's id, or None."""
        ...


DOCUMENTS: ServiceKey[DocumentRepo] = ServiceKey("documents")

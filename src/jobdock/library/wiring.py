"""The blocking document repository handlers use, implemented over the async store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jobdock.extensions import ServiceEnv, SubmitUnlessActive
from jobdock.jobs.clock import Clock
from jobdock.jobs.model import NewJob
from jobdock.jobs.services import LoopBridge
from jobdock.library.rows import ChunkRow, DocumentRow
from jobdock.library.store.repository import DocumentStore


class DocumentRepoAdapter:
    """Implements ``library.repo.DocumentRepo``; ``bridge`` runs each query on the worker loop."""

    def __init__(self, docs: DocumentStore, bridge: LoopBridge, clock: Clock,
                 follow_up: SubmitUnlessActive | None = None) -> None:
        self.docs = docs
        self.bridge = bridge
        self.clock = clock
        self.follow_up = follow_up

    @classmethod
    def for_worker(cls, env: ServiceEnv) -> DocumentRepoAdapter:
        return cls(DocumentStore(env.store), env.bridge, env.clock, env.submit_unless_active)

    def get(self, document_id: str) -> DocumentRow | None:
        return self.bridge.call(self.docs.document_get(document_id))

    def create(self, *, user_id: str, title: str, source_type: str, filename: str | None,
               storage_path: str, document_id: str | None = None) -> DocumentRow:
        return self.bridge.call(self.docs.document_insert(
            user_id=user_id, title=title, source_type=source_type, filename=filename,
            storage_path=storage_path, document_id=document_id, now=self.clock.now()))

    def set_status(self, document_id: str, status: str, error: str | None = None) -> None:
        self.bridge.call(self.docs.document_set_status(document_id, status, self.clock.now(),
                                                       error))

    def set_processed(self, document_id: str, **fields: Any) -> None:
        self.bridge.call(self.docs.document_set_processed(document_id, self.clock.now(),
                                                          **fields))

    def replace_chunks(self, document_id: str, chunks: Sequence[Mapping[str, Any]]) -> int:
        return self.bridge.call(self.docs.chunk_replace(document_id, chunks, self.clock.now()))

    def insert_chunks(self, document_id: str, chunks: Sequence[Mapping[str, Any]], *,
                      from_index: int | None = None) -> int:
        return self.bridge.call(self.docs.chunk_insert(document_id, chunks, self.clock.now(),
                                                       from_index))

    def chunks(self, document_id: str) -> list[ChunkRow]:
        return self.bridge.call(self.docs.chunk_list(document_id))

    def queue_unless_active(self, job_type: str, input_data: dict[str, Any], *,
                            user_id: str | None, entity_id: str | None) -> str | None:
        if self.follow_up is None:
            return None
        new = NewJob(job_type, input_data, user_id=user_id, entity_type="document",
                     entity_id=entity_id)
        return self.bridge.call(self.follow_up(new))

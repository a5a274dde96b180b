"""The blocking document repository handlers use, implemented over the async store."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from jobdock.jobs.clock import Clock
from jobdock.jobs.model import NewJob
from jobdock.store import Store

Call = Callable[[Coroutine[Any, Any, Any]], Any]
FollowUp = Callable[[NewJob], Coroutine[Any, Any, "str | None"]]


class DocumentRepoAdapter:
    """Implements ``documents.repo.DocumentRepo``; ``call`` runs a coroutine on the worker loop."""

    def __init__(self, store: Store, call: Call, clock: Clock,
                 follow_up: FollowUp | None = None) -> None:
        self.store = store
        self.call = call
        self.clock = clock
        self.follow_up = follow_up

    def get(self, document_id: str) -> dict[str, Any] | None:
        return self.call(self.store.document_get(document_id))  # type: ignore[no-any-return]

    def create(self, *, user_id: str, title: str, source_type: str, filename: str | None,
               storage_path: str, document_id: str | None = None) -> dict[str, Any]:
        return self.call(self.store.document_insert(  # type: ignore[no-any-return]
            user_id=user_id, title=title, source_type=source_type, filename=filename,
            storage_path=storage_path, document_id=document_id, now=self.clock.now()))

    def set_status(self, document_id: str, status: str, error: str | None = None) -> None:
        self.call(self.store.document_set_status(document_id, status, self.clock.now(), error))

    def set_processed(self, document_id: str, **fields: Any) -> None:
        self.call(self.store.document_set_processed(document_id, self.clock.now(), **fields))

    def replace_chunks(self, document_id: str, chunks: Sequence[dict[str, Any]]) -> int:
        return self.call(  # type: ignore[no-any-return]
            self.store.chunk_replace(document_id, chunks, self.clock.now()))

    def chunks(self, document_id: str) -> list[dict[str, Any]]:
        return self.call(self.store.chunk_list(document_id))  # type: ignore[no-any-return]

    def queue_unless_active(self, job_type: str, input_data: dict[str, Any], *,
                            user_id: str | None, entity_id: str | None) -> str | None:
        if self.follow_up is None:
            return None
        new = NewJob(job_type, input_data, user_id=user_id, entity_type="document",
                     entity_id=entity_id)
        return self.call(self.follow_up(new))  # type: ignore[no-any-return]

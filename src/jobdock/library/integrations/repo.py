"""What the integration handlers need from the database, as blocking calls.

Handlers get it with ``ctx.service(INTEGRATIONS)``; each call runs the store's
coroutine on the worker's loop through the bridge (handlers run in a thread).
"""

from __future__ import annotations

from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from jobdock.extensions import ServiceEnv
from jobdock.jobs.clock import Clock
from jobdock.jobs.services import LoopBridge, ServiceKey
from jobdock.library.integrations.store import IntegrationStore
from jobdock.library.rows import DocumentRow
from jobdock.library.store.repository import DocumentStore

T = TypeVar("T")


class IntegrationsRepo:
    def __init__(self, store: IntegrationStore, docs: DocumentStore, bridge: LoopBridge,
                 clock: Clock) -> None:
        self.store = store
        self.docs = docs
        self.bridge = bridge
        self.clock = clock

    @classmethod
    def for_worker(cls, env: ServiceEnv) -> IntegrationsRepo:
        return cls(IntegrationStore(env.store), DocumentStore(env.store), env.bridge, env.clock)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.bridge.call(coro)

    # documents
    def documents(self, user_id: str) -> list[DocumentRow]:
        return self._call(self.docs.document_list(user_id, 10000))

    def connections(self, document_id: str) -> list[dict[str, Any]]:
        """Documents this one connects to: ``{title, type, strength}`` each."""
        return self._call(self.store.connection_links(document_id))

    # settings
    def settings(self, user_id: str) -> dict[str, Any]:
        return self._call(self.store.settings_get(user_id)) or {}

    def readwise_token(self, user_id: str) -> str | None:
        return self._call(self.store.readwise_token(user_id))

    def set_synced_until(self, user_id: str, value: str) -> None:
        self._call(self.store.settings_set_synced_until(user_id, value, self.clock.now()))

    # annotations
    def annotations(self, document_id: str) -> list[dict[str, Any]]:
        return self._call(self.store.annotation_list(document_id))

    def move_annotations(self, moves: Sequence[dict[str, Any]]) -> None:
        self._call(self.store.annotation_set_anchors(moves, self.clock.now()))

    def import_page(self, annotations: Sequence[dict[str, Any]],
                    reviews: Sequence[dict[str, Any]]) -> tuple[int, int]:
        """Write a page of imports in one transaction; (annotations, reviews) added."""
        return self._call(self.store.import_page(annotations, reviews, self.clock.now()))

    # Obsidian sync state
    def sync_state(self, document_id: str) -> dict[str, Any] | None:
        return self._call(self.store.sync_state_get(document_id))

    def record_sync(self, **fields: Any) -> dict[str, Any]:
        return self._call(self.store.sync_state_record(**fields, now=self.clock.now()))

    def record_conflict(self, document_id: str, conflict: dict[str, Any]) -> None:
        self._call(self.store.sync_state_set_conflict(document_id, conflict, self.clock.now()))

    def now_iso(self) -> str:
        return self.clock.now().isoformat()


INTEGRATIONS: ServiceKey[IntegrationsRepo] = ServiceKey("integrations")

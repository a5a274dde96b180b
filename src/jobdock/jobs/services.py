"""Typed services a handler receives, and the bridge from a handler's thread to the worker.

An application (an extension) declares a key, ``DOCUMENTS = ServiceKey[DocumentRepo]("documents")``,
and binds a factory to it; a handler asks ``ctx.service(DOCUMENTS)`` and gets a
``DocumentRepo`` back, typed, without a lookup by string.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True)
class ServiceKey(Generic[T_co]):
    """Names one service and the type handlers get for it."""

    name: str

    def __str__(self) -> str:
        return self.name


class LoopBridge(Protocol):
    """Runs a coroutine on the worker's event loop from a sync handler's thread."""

    def call(self, coro: Coroutine[Any, Any, T]) -> T: ...


class UnknownService(LookupError):
    def __init__(self, key: ServiceKey[object]) -> None:
        super().__init__(f"no service {key.name!r} is wired into this worker")

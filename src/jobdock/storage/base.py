"""The blob storage contract every backend fulfils (and ``tests/test_storage.py`` checks).

The API is synchronous: handlers and the worker call it from worker threads, and a
blocking call keeps the checkpoint logic linear. Every method validates its key first
(``InvalidKey``); backend failures surface as ``StorageError``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A storage backend failed (I/O error, bad configuration, unreachable server)."""


@runtime_checkable
class Storage(Protocol):
    """Blob storage addressed by validated '/'-separated keys."""

    @property
    def url(self) -> str:
        """Where the blobs live, for logs (never contains credentials)."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` atomically: readers see the old or the new bytes."""
        ...

    def get(self, key: str) -> bytes | None:
        """The bytes at ``key``, or None if there is no such blob."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; deleting a missing key is not an error."""
        ...

    def delete_many(self, keys: Iterable[str]) -> int:
        """Remove every key (all validated first); return how many distinct keys were
        processed, whether or not each existed."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "") -> builtins.list[str]:
        """Sorted keys below ``prefix`` (recursive; matched by whole segments, so
        ``a/b`` covers ``a/b/c`` but not ``a/bc``); ``""`` lists everything."""
        ...

    def size(self, key: str) -> int | None:
        """Size in bytes, or None if there is no such blob."""
        ...

    def close(self) -> None: ...

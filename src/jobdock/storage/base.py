"""The blob storage contract every backend fulfils (and ``tests/test_storage.py`` checks).

The API is synchronous: handlers and the worker call it from worker threads, and a
blocking call keeps the checkpoint logic linear. Every method validates its key first
(``InvalidKey``); backend failures surface as ``StorageError``.
"""

from __future__ import annotations

import builtins
import errno
from collections.abc import Iterable
from typing import Protocol, runtime_checkable


class StorageError(Exception):
    """A storage backend failed (I/O error, bad configuration, unreachable server)."""


class StorageUnavailable(StorageError, ConnectionError):
    """Storage cannot take the request now, but may later: disk full, read-only file
    system, I/O error, an S3 5xx or throttling answer, a timeout. A ``ConnectionError``,
    so a job that meets it fails ``transient`` and is retried; ``full`` says the space ran
    out (the web answers 507 then, 503 otherwise)."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full


# errno values that describe the storage's state, not the request: worth retrying later.
TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO,
                              errno.EAGAIN, errno.EBUSY, errno.ENOMEM, errno.ETIMEDOUT,
                              errno.ESTALE, errno.ENFILE, errno.EMFILE})
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


def os_error(op: str, key: str, exc: OSError, backend: str) -> StorageError:
    """The storage error for an ``OSError``: unavailable when the errno says so."""
    message = f"{backend} storage {op} {key!r} failed: {exc}"
    if exc.errno in TRANSIENT_ERRNOS:
        return StorageUnavailable(message, full=exc.errno in FULL_ERRNOS)
    return StorageError(message)


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

    def put_stream(self, key: str, pieces: Iterable[bytes]) -> None:
        """Store the concatenation of ``pieces`` at ``key``, as atomically as ``put``,
        without holding it all in memory (a large file written as it is produced). An
        exception from ``pieces`` leaves the old blob (or none) in place."""
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

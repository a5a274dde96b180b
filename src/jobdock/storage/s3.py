"""Blobs in an S3-compatible bucket (AWS, MinIO, moto, ...) through obstore.

An S3 PUT is atomic by itself (readers see the old or the new object), so ``put`` is a
single request. obstore reports a missing object as ``FileNotFoundError`` (older
releases: ``NotFoundError``); the contract turns that into None, and any other obstore
failure into ``StorageError``.
"""

from __future__ import annotations

import builtins
import contextlib
import re
import tempfile
from collections.abc import Iterable, Iterator

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from jobdock.storage.base import StorageError, StorageUnavailable, os_error
from jobdock.storage.keys import validate_key, validate_prefix

_MISSING = (FileNotFoundError, NotFoundError)


class S3Storage:
    """Storage in one bucket, optionally below a key prefix shared by every key."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        allow_http: bool = False,
    ) -> None:
        if not bucket:
            raise StorageError("S3 storage needs a bucket name")
        if endpoint and endpoint.startswith("http://") and not allow_http:
            raise StorageError(f"S3 endpoint {endpoint} is plain http: pass allow_http=true")
        self.bucket = bucket
        self.prefix = validate_prefix(prefix).removesuffix("/")
        self.endpoint = endpoint
        config: dict[str, str] = {"region": region}
        if endpoint:
            config["endpoint"] = endpoint
        if access_key is not None:
            config["access_key_id"] = access_key
        if secret_key is not None:
            config["secret_access_key"] = secret_key
        with _obstore_errors("configure", bucket):
            self._store = S3Store(
                bucket,
                prefix=self.prefix or None,
                config=config,  # type: ignore[arg-type]  # a plain dict of S3Config keys
                client_options={"allow_http": allow_http},
            )

    @property
    def url(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        return f"{where} (endpoint {self.endpoint})" if self.endpoint else where

    def __repr__(self) -> str:
        return f"S3Storage({self.url!r})"

    def put(self, key: str, data: bytes) -> None:
        validate_key(key)
        with _obstore_errors("put", key):
            obstore.put(self._store, key, data)

    def put_stream(self, key: str, pieces: Iterable[bytes]) -> None:
        # Spooled to a local temp file first, then one upload (multipart past 5 MB, two
        # parts in flight): ``pieces`` may itself read this storage (obstore cannot be
        # called from inside its own upload), and if it raises nothing is uploaded.
        validate_key(key)
        with tempfile.TemporaryFile(prefix="jobdock-put-") as spool:
            try:
                for piece in pieces:
                    spool.write(piece)
                spool.seek(0)
            except OSError as exc:  # the local disk (full?), not the bucket
                raise os_error("put (local spool)", key, exc, "s3") from exc
            with _obstore_errors("put", key):
                obstore.put(self._store, key, spool, max_concurrency=2)

    def get(self, key: str) -> bytes | None:
        validate_key(key)
        with _obstore_errors("get", key):
            try:
                return bytes(obstore.get(self._store, key).bytes())
            except _MISSING:
                return None

    def delete(self, key: str) -> None:
        validate_key(key)
        with _obstore_errors("delete", key), contextlib.suppress(*_MISSING):
            obstore.delete(self._store, key)

    def delete_many(self, keys: Iterable[str]) -> int:
        # Validate everything first so one bad key deletes nothing; then one bulk
        # DeleteObjects request per 1000 keys (obstore batches).
        unique = list(dict.fromkeys(validate_key(k) for k in keys))
        if unique:
            with _obstore_errors("delete_many", unique[0]), contextlib.suppress(*_MISSING):
                obstore.delete(self._store, unique)
        return len(unique)

    def exists(self, key: str) -> bool:
        return self.size(key) is not None

    def size(self, key: str) -> int | None:
        validate_key(key)
        with _obstore_errors("size", key):
            try:
                return int(obstore.head(self._store, key)["size"])
            except _MISSING:
                return None

    def list(self, prefix: str = "") -> builtins.list[str]:
        body = validate_prefix(prefix).removesuffix("/")
        with _obstore_errors("list", prefix):
            stream = obstore.list(self._store, body or None)
            return sorted(meta["path"] for chunk in stream for meta in chunk)

    def close(self) -> None:
        """Nothing to release: obstore's HTTP client goes with the store object."""


@contextlib.contextmanager
def _obstore_errors(op: str, key: str) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise os_error(op, key, exc, "s3") from exc
    except (BaseError, ValueError) as exc:
        message = f"s3 storage {op} {key!r} failed: {exc}"
        if isinstance(exc, BaseError) and _S3_UNAVAILABLE.search(str(exc)):
            raise StorageUnavailable(message) from exc
        raise StorageError(message) from exc


# An S3 answer that says "later": 5xx, 429/503 throttling (SlowDown), timeouts, a
# connection that failed or broke.
_S3_UNAVAILABLE = re.compile(
    r"\b(5\d\d|429)\b|slow ?down|throttl|timed? ?out|connection|service unavailable|"
    r"internal ?error|request or response body error", re.IGNORECASE)

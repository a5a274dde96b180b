"""``open_storage(url)``: the one place that turns a configuration string into a backend.

- ``/var/lib/jobdock/blobs`` (a plain path) or ``file:///var/lib/jobdock/blobs``:
  ``LocalStorage``.
- ``s3://bucket/optional/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&allow_http=true``:
  ``S3Storage``; credentials from the ``access_key`` / ``secret_key`` parameters, else
  from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from jobdock.storage.base import Storage, StorageError
from jobdock.storage.local import LocalStorage
from jobdock.storage.s3 import S3Storage

SUPPORTED = "a plain path, file:///abs/path, s3://bucket/prefix"
_S3_PARAMS = frozenset({"endpoint", "region", "allow_http", "access_key", "secret_key"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def open_storage(url: str) -> Storage:
    """Open the storage ``url`` names; raise ``StorageError`` for anything else."""
    parts = urlsplit(url)
    if not url:
        raise StorageError(f"empty storage URL; supported: {SUPPORTED}")
    if parts.scheme == "":
        return LocalStorage(Path(url))
    if parts.scheme == "file":
        return _open_file(url, parts.netloc, parts.path)
    if parts.scheme == "s3":
        return _open_s3(parts.netloc, parts.path, parts.query)
    raise StorageError(f"unsupported storage URL scheme {parts.scheme!r}; supported: {SUPPORTED}")


def _open_file(url: str, host: str, path: str) -> LocalStorage:
    if host not in ("", "localhost") or not path:
        raise StorageError(f"file URL must be file:///absolute/path, got {url!r}")
    return LocalStorage(Path(unquote(path)))


def _open_s3(bucket: str, path: str, query: str) -> S3Storage:
    params = _single_values(query)
    unknown = sorted(set(params) - _S3_PARAMS)
    if unknown:
        raise StorageError(f"unknown s3 URL parameter(s) {unknown}; known: {sorted(_S3_PARAMS)}")
    return S3Storage(
        bucket,
        prefix=unquote(path).strip("/"),
        endpoint=params.get("endpoint"),
        region=params.get("region", "us-east-1"),
        access_key=params.get("access_key", os.environ.get("AWS_ACCESS_KEY_ID")),
        secret_key=params.get("secret_key", os.environ.get("AWS_SECRET_ACCESS_KEY")),
        allow_http=_flag(params.get("allow_http", "false")),
    )


def _single_values(query: str) -> dict[str, str]:
    parsed = parse_qs(query, keep_blank_values=True, strict_parsing=False)
    repeated = sorted(k for k, v in parsed.items() if len(v) > 1)
    if repeated:
        raise StorageError(f"s3 URL parameter(s) given more than once: {repeated}")
    return {k: v[0] for k, v in parsed.items()}


def _flag(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise StorageError(f"allow_http must be true or false, got {value!r}")

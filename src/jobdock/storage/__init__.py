"""Blob storage for checkpoints and job outputs: local files or S3-compatible buckets.

Every backend passes the same contract tests (``tests/test_storage.py``); pick one
with ``open_storage(url)``.
"""

from jobdock.storage.base import Storage, StorageError, StorageUnavailable
from jobdock.storage.factory import open_storage
from jobdock.storage.keys import InvalidKey, validate_key, validate_prefix
from jobdock.storage.local import LocalStorage
from jobdock.storage.s3 import S3Storage

__all__ = [
    "InvalidKey",
    "LocalStorage",
    "S3Storage",
    "Storage",
    "StorageError",
    "StorageUnavailable",
    "open_storage",
    "validate_key",
    "validate_prefix",
]

"""Storage keys: one validation for every backend, so a key that works locally works on S3.

A key is a '/'-separated relative path. Validation is strict on purpose: a key that
could climb out of the storage root (``..``, an absolute path, a backslash that some
filesystem treats as a separator) or that two backends would read differently
(``a//b``, ``a/./b``) is refused before any I/O happens.
"""

from __future__ import annotations

MAX_KEY_LENGTH = 1024

# LocalStorage writes through temp files with this prefix; a key segment using it
# would be hidden by ``list()`` and could collide with an in-flight write.
TEMP_PREFIX = ".tmp-"


class InvalidKey(ValueError):
    """A key or prefix that no backend accepts."""


def validate_key(key: str) -> str:
    """Return ``key`` unchanged if it is a safe relative key, else raise ``InvalidKey``."""
    if not isinstance(key, str):
        raise InvalidKey(f"storage key must be a str, got {type(key).__name__}")
    if not key:
        raise InvalidKey("storage key must not be empty")
    _check_text(key, "key")
    for segment in key.split("/"):
        _check_segment(segment, key, "key")
    return key


def validate_prefix(prefix: str) -> str:
    """Like ``validate_key`` but also allows ``""`` (everything) and one trailing '/'."""
    if not isinstance(prefix, str):
        raise InvalidKey(f"storage prefix must be a str, got {type(prefix).__name__}")
    body = prefix.removesuffix("/")
    if not body:
        if prefix:
            raise InvalidKey("storage prefix must not be '/' (use '' for everything)")
        return prefix
    _check_text(prefix, "prefix")
    for segment in body.split("/"):
        _check_segment(segment, prefix, "prefix")
    return prefix


def _check_text(text: str, what: str) -> None:
    if len(text) > MAX_KEY_LENGTH:
        raise InvalidKey(f"storage {what} is longer than {MAX_KEY_LENGTH} characters")
    if text.startswith("/"):
        raise InvalidKey(f"storage {what} must be relative (no leading '/'): {text!r}")
    if "\\" in text:
        raise InvalidKey(f"storage {what} must not contain '\\': {text!r}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise InvalidKey(f"storage {what} must not contain control characters: {text!r}")


def _check_segment(segment: str, text: str, what: str) -> None:
    if not segment:
        raise InvalidKey(f"storage {what} has an empty segment: {text!r}")
    if segment in (".", ".."):
        raise InvalidKey(f"storage {what} must not contain '.' or '..' segments: {text!r}")
    if segment.startswith(TEMP_PREFIX):
        raise InvalidKey(f"storage {what} segment must not start with {TEMP_PREFIX!r}: {text!r}")

"""Error classification: what a handler's exception means for the job.

Handlers may raise the explicit classes below; any other exception goes through
:func:`classify`, which recognises timeouts, connection errors and HTTP status codes.
A job type can add its own rules (``JobType.error_rules``), tried first.
"""

from __future__ import annotations

import errno
import os
import re
import socket
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jobdock.jobs.model import ErrorType


class JobError(Exception):
    """Base of the errors a handler raises to say how its job failed."""

    error_type: ErrorType = ErrorType.PERMANENT


class TransientError(JobError):
    """Worth retrying later: a timeout, an overloaded service, a lost connection."""

    error_type = ErrorType.TRANSIENT


class PermanentError(JobError):
    """Retrying will not help: corrupt or unsupported input, a missing file."""

    error_type = ErrorType.PERMANENT


class PaywallError(JobError):
    """The source is behind a paywall or a login (HTTP 402/403)."""

    error_type = ErrorType.PAYWALL


class InvalidInputError(JobError):
    """The job's input does not validate."""

    error_type = ErrorType.INVALID


@dataclass(frozen=True)
class Classification:
    error_type: ErrorType
    message: str


# A rule looks at an exception and returns a classification, or None to pass.
ErrorRule = Callable[[BaseException], Classification | None]

_TRANSIENT_CLASSES: tuple[type[BaseException], ...] = (
    TimeoutError,
    ConnectionError,
    socket.timeout,
    sqlite3.OperationalError,
)
_PERMANENT_CLASSES: tuple[type[BaseException], ...] = (
    FileNotFoundError,
    IsADirectoryError,
    PermissionError,
    UnicodeDecodeError,
    NotImplementedError,
    ValueError,  # validation errors: the same input fails the same way next time
    TypeError,
    KeyError,
)

_HTTP_STATUS = re.compile(r"\b(?:HTTP|status(?: code)?)\s*:?\s*([1-5]\d\d)\b", re.IGNORECASE)
_TRANSIENT_WORDS = ("timed out", "timeout", "connection reset", "temporarily unavailable",
                    "too many requests", "rate limit", "server closed the connection",
                    "connection refused")


def http_status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries (``.status``/``.status_code``/``.response``)."""
    for holder in (exc, getattr(exc, "response", None)):
        for attr in ("status_code", "status"):
            value = getattr(holder, attr, None)
            if isinstance(value, int) and 100 <= value <= 599:
                return value
    match = _HTTP_STATUS.search(str(exc))
    return int(match.group(1)) if match else None


def classify_http_status(status: int) -> ErrorType | None:
    if status == 429 or status >= 500 or status == 408:
        return ErrorType.TRANSIENT
    if status in (402, 403):
        return ErrorType.PAYWALL
    if 400 <= status < 500:
        return ErrorType.PERMANENT
    return None


def _first_sentence(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    if len(text) > 300:
        text = text[:297] + "..."
    return text


# errno values of a storage or system state that can clear (disk full, read-only file
# system, I/O error, timeouts), unlike, say, EACCES or ENOENT.
_TRANSIENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EAGAIN,
                               errno.EBUSY, errno.ENOMEM, errno.ETIMEDOUT, errno.ESTALE,
                               errno.ENFILE, errno.EMFILE})


def _transient_os_error(exc: BaseException) -> OSError | None:
    """The OSError in ``exc``'s chain (itself or what it was raised from) whose errno
    says the system, not the input, is the problem."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in _TRANSIENT_ERRNOS:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _is_lost_database_connection(exc: BaseException) -> bool:
    """A DB-API OperationalError/InterfaceError or a subclass (e.g. psycopg's
    ``AdminShutdown``), recognised by name so the engine need not import the drivers."""
    return any(cls.__name__ in ("OperationalError", "InterfaceError")
               and cls.__module__.startswith(("psycopg", "sqlite3"))
               for cls in type(exc).__mro__)


def default_classification(exc: BaseException) -> Classification:
    """Classify an ordinary exception; the message is one readable sentence."""
    detail = _first_sentence(exc)
    if isinstance(exc, JobError):
        return Classification(exc.error_type, detail)
    status = http_status_of(exc)
    if status is not None and (kind := classify_http_status(status)) is not None:
        return Classification(kind, _http_message(kind, status, detail))
    if isinstance(exc, _TRANSIENT_CLASSES) or _is_lost_database_connection(exc):
        return Classification(ErrorType.TRANSIENT, f"A temporary problem occurred: {detail}")
    if (os_error := _transient_os_error(exc)) is not None:
        why = os.strerror(os_error.errno or 0)
        return Classification(ErrorType.TRANSIENT,
                              f"Storage is unavailable for now ({why}); will retry: {detail}")
    # Before the word heuristics: a ValueError("timeout must be > 0") is a validation error.
    if isinstance(exc, _PERMANENT_CLASSES):
        return Classification(ErrorType.PERMANENT, detail)
    if any(word in detail.lower() for word in _TRANSIENT_WORDS):
        return Classification(ErrorType.TRANSIENT, f"A temporary problem occurred: {detail}")
    return Classification(ErrorType.PERMANENT, detail)


def _http_message(kind: ErrorType, status: int, detail: str) -> str:
    if kind is ErrorType.PAYWALL:
        return f"The source refused access (HTTP {status}); it may be behind a paywall or login."
    if kind is ErrorType.TRANSIENT:
        return f"The remote service is unavailable or busy (HTTP {status}): {detail}"
    return f"The request was rejected (HTTP {status}): {detail}"


def classify(exc: BaseException, rules: Sequence[ErrorRule] = ()) -> Classification:
    """Job-type rules first, then the defaults."""
    for rule in rules:
        result = rule(exc)
        if result is not None:
            return result
    return default_classification(exc)

"""Issue 4: what a handler's exception means for the job (unit tests, no database),
and how a failure is recorded (one worker run per backend)."""

from __future__ import annotations

import socket
import sqlite3

import psycopg
import psycopg.errors
import pytest

from jobdock.app import Dock
from jobdock.jobs.errors import (
    Classification,
    InvalidInputError,
    PaywallError,
    PermanentError,
    TransientError,
    classify,
)
from jobdock.jobs.model import ErrorType, JobStatus, NewJob
from tests.support.engine import drain

T, P, W, INVALID = ErrorType.TRANSIENT, ErrorType.PERMANENT, ErrorType.PAYWALL, ErrorType.INVALID


class HTTPError(Exception):
    """Like requests'/httpx's: the status travels on ``.response.status_code``."""

    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(text or f"request failed with status {status}")
        self.response = type("Response", (), {"status_code": status})()


class ApiError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__("the API said no")
        self.status = status


CASES = [
    # timeouts and dropped connections
    (TimeoutError("the read timed out"), T),
    (socket.timeout("timed out"), T),  # noqa: UP041 - the alias code still raises
    (ConnectionResetError(104, "Connection reset by peer"), T),
    (ConnectionRefusedError(111, "Connection refused"), T),
    (BrokenPipeError(32, "Broken pipe"), T),
    (RuntimeError("upstream connection reset while reading"), T),
    # HTTP: 429 and 5xx retry, 402/403 paywall, other 4xx permanent
    (HTTPError(429), T), (HTTPError(500), T), (HTTPError(502), T), (HTTPError(503), T),
    (ApiError(504), T), (RuntimeError("HTTP 503 Service Unavailable"), T),
    (HTTPError(402), W), (HTTPError(403), W), (RuntimeError("status code: 403"), W),
    (HTTPError(400), P), (HTTPError(404), P), (HTTPError(410), P), (ApiError(422), P),
    # a lost database connection
    (psycopg.OperationalError("consuming input failed: server closed the connection"), T),
    (psycopg.errors.AdminShutdown("terminating connection due to administrator command"), T),
    (psycopg.InterfaceError("the connection is closed"), T),
    (sqlite3.OperationalError("database is locked"), T),
    # validation, unsupported or corrupt input, missing files
    (ValueError("page_count must be positive"), P),
    (ValueError("timeout must be a positive number"), P),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), P),
    (NotImplementedError("unsupported source type: .djvu"), P),
    (FileNotFoundError(2, "No such file or directory", "/data/a.pdf"), P),
    (KeyError("chunks"), P),
    (RuntimeError("something odd"), P),
    # explicit classes win
    (TransientError("try later"), T), (PermanentError("never"), P),
    (PaywallError("behind a login"), W), (InvalidInputError("no document_id"), INVALID),
]


@pytest.mark.parametrize(("exc", "expected"), CASES, ids=lambda v: repr(v)[:60])
def test_default_classification(exc: BaseException, expected: ErrorType) -> None:
    result = classify(exc)
    assert result.error_type is expected
    assert result.message and "\n" not in result.message and "Traceback" not in result.message
    assert len(result.message) <= 300


def test_paywall_message_says_why() -> None:
    assert "paywall" in classify(HTTPError(402)).message


def test_job_type_rules_take_precedence() -> None:
    def quota_rule(exc: BaseException) -> Classification | None:
        if "quota" in str(exc):
            return Classification(P, "The monthly quota is used up.")
        return None

    assert classify(TimeoutError("quota timeout"), [quota_rule]) == \
        Classification(P, "The monthly quota is used up.")
    assert classify(TimeoutError("slow"), [quota_rule]).error_type is T, "a rule may pass"


def test_long_messages_are_one_readable_line() -> None:
    message = classify(ValueError("bad\n\n   input " + "x" * 1000)).message
    assert message.startswith("bad input x") and len(message) == 300 and message.endswith("...")


async def test_a_failure_records_a_readable_message_and_keeps_the_traceback_aside(
        dock: Dock) -> None:
    job = await dock.admin.submit(NewJob("engine_rules"))
    await drain(dock)
    failed = await dock.admin.get_job(job.id)
    assert (failed.status, failed.error_type) == (JobStatus.FAILED, ErrorType.PERMANENT)
    assert failed.error_message == "The monthly quota is used up."
    assert failed.next_retry_at is None, "the type's rule made it permanent: no retry"
    error = failed.metadata["error"]
    assert error["class"] == "builtins.TimeoutError"
    assert error["traceback"].startswith("Traceback") and "quota exceeded" in error["traceback"]


def test_admin_actions_follow_the_transition_table() -> None:
    from jobdock.jobs.states import ADMIN_ACTIONS, can_transition

    for verb, (sources, target) in ADMIN_ACTIONS.items():
        for source in sources:
            assert can_transition(source, target), (verb, source, target)


def test_a_retry_policy_is_derived_in_one_place() -> None:
    from jobdock.jobs.retry import RetryPolicy

    base = RetryPolicy(base_seconds=10, cap_seconds=100, jitter=0.1, max_retries=3)
    assert base.derive() is base
    assert base.derive(max_retries=7) == RetryPolicy(10, 100, 0.1, 7)
    assert base.derive({"base_seconds": 2, "ignored": 1}, max_retries=1) == \
        RetryPolicy(2.0, 100, 0.1, 1)

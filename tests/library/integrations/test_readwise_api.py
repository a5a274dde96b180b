"""The Readwise client against the fake Readwise server (real HTTP on 127.0.0.1)."""

import logging

import pytest

from jobdock.jobs.errors import classify
from jobdock.jobs.model import ErrorType
from jobdock.library.integrations.fake_readwise import FakeReadwise, make_books
from jobdock.library.integrations.readwise_api import (
    ReadwiseAuthError,
    ReadwiseClient,
    ReadwiseUnavailable,
)


def _all_pages(client, updated_after=None):
    cursor, seen = None, []
    while True:
        page = client.export_page(cursor, updated_after)
        seen.extend(h.external_id for h in page.highlights)
        cursor = page.next_cursor
        if cursor is None:
            return seen


def test_pages_through_every_book_once():
    with FakeReadwise(make_books(5, 3), page_size=2) as fake, \
            ReadwiseClient(fake.token, base_url=fake.url) as client:
        ids = _all_pages(client)
    assert len(ids) == 15 and len(set(ids)) == 15
    assert len(fake.export_requests) == 3  # 2 + 2 + 1 books
    assert all(r["authorised"] for r in fake.export_requests)


def test_updated_after_is_sent_and_filters():
    books = make_books(2, 2)
    books[1]["highlights"][0]["updated_at"] = "2026-06-01T00:00:00Z"
    with FakeReadwise(books) as fake, ReadwiseClient(fake.token, base_url=fake.url) as client:
        ids = _all_pages(client, "2026-03-01T00:00:00Z")
    assert ids == [str(books[1]["highlights"][0]["id"])]
    assert fake.export_requests[0]["params"]["updatedAfter"] == "2026-03-01T00:00:00Z"


def test_429_waits_the_retry_after_then_continues():
    waits = []
    with FakeReadwise(make_books(4, 2), page_size=2) as fake:
        fake.fail(2, 429, retry_after="7")
        with ReadwiseClient(fake.token, base_url=fake.url, sleep=waits.append) as client:
            ids = _all_pages(client)
    assert waits == [7.0]
    assert len(ids) == 8 and len(set(ids)) == 8
    # the throttled request was asked again with the same cursor
    cursors = [r["params"].get("pageCursor") for r in fake.export_requests]
    assert cursors[1] == cursors[2] is not None


def test_429_that_persists_is_transient():
    with FakeReadwise(make_books(1, 1)) as fake:
        for n in range(1, 4):
            fake.fail(n, 429, retry_after="1")
        with ReadwiseClient(fake.token, base_url=fake.url, sleep=lambda s: None,
                            rate_limit_attempts=3) as client, \
                pytest.raises(ReadwiseUnavailable) as err:
            client.export_page()
    assert classify(err.value).error_type is ErrorType.TRANSIENT


@pytest.mark.parametrize("status", [401, 403])
def test_wrong_token_is_permanent_and_never_shown(status, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "s3cr3t-token-value"
    with FakeReadwise(make_books(1, 1)) as fake:
        if status == 403:
            fake.fail(1, 403)
            secret = fake.token
        client = ReadwiseClient(secret, base_url=fake.url)
        with client, pytest.raises(ReadwiseAuthError) as err:
            client.export_page()
    assert classify(err.value).error_type is ErrorType.PERMANENT
    assert str(status) in str(err.value)
    for text in (str(err.value), repr(client), caplog.text):
        assert secret not in text


def test_check_token():
    with FakeReadwise(make_books(1, 1)) as fake:
        with ReadwiseClient(fake.token, base_url=fake.url) as good:
            good.check_token()
        with ReadwiseClient("wrong", base_url=fake.url) as bad, \
                pytest.raises(ReadwiseAuthError):
            bad.check_token()


def test_server_error_and_unreachable_are_transient():
    with FakeReadwise(make_books(1, 1)) as fake:
        fake.fail(1, 503)
        with ReadwiseClient(fake.token, base_url=fake.url) as client, \
                pytest.raises(ReadwiseUnavailable):
            client.export_page()
        url = fake.url
    with ReadwiseClient("t", base_url=url, timeout=2) as client, \
            pytest.raises(ReadwiseUnavailable):
        client.export_page()

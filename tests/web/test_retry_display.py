"""Issue 14, item 9: a failed job that will be retried says so on every page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from jobdock.app import Dock
from jobdock.jobs.model import ErrorType, NewJob

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_retrying_job_shows_when_and_which_attempt(client: httpx.AsyncClient,
                                                        web_dock: Dock) -> None:
    store, now = web_dock.store, datetime.now(UTC)
    job = await store.job_insert(NewJob("noop", max_retries=3), now)
    await store.job_claim("w", 1, None, now)
    assert await store.job_fail(job.id, "w", error_message="flaky", error_type=ErrorType.TRANSIENT,
                                next_retry_at=now + timedelta(seconds=600), progress={},
                                metadata={}, now=now)
    detail = (await client.get(f"/jobs/{job.id}")).text
    assert "retrying in 9 min (attempt 2 of 4)" in detail or \
        "retrying in 10 min (attempt 2 of 4)" in detail, detail
    listing = (await client.get("/jobs")).text
    assert "status-retrying" in listing and "(attempt 2 of 4)" in listing
    given_up = await web_dock.admin.force_fail_job(
        (await store.job_insert(NewJob("noop"), now)).id)
    assert "retrying" not in (await client.get(f"/jobs/{given_up.id}")).text

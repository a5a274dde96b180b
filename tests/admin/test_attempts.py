"""Issue 14, item 9: every attempt counts (a manual retry too) and a job that will be
retried says so: "retrying in 28 s (attempt 2 of 4)"."""

from __future__ import annotations

from datetime import timedelta

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.describe import retry_note
from jobdock.jobs.model import JobStatus, NewJob
from tests.support.engine import drain

ALWAYS_FAILS = {"stages": 1, "steps_per_stage": 1, "step_seconds": 0,
                "fail_transient_times": 1000}


async def test_a_manual_retry_counts_as_an_attempt_and_the_limit_is_reached(
        fake_dock: Dock, clock: FakeClock) -> None:
    admin = fake_dock.admin
    job = await admin.submit(NewJob("staged_sleep", ALWAYS_FAILS, max_retries=1))
    await drain(fake_dock)
    failed = await admin.get_job(job.id)
    assert (failed.status, failed.retry_count) == (JobStatus.FAILED, 0)
    assert failed.next_retry_at is not None, "one automatic retry left"
    requeued = await admin.retry_job(job.id)
    assert (requeued.retry_count, requeued.max_retries) == (1, 1)
    await drain(fake_dock)
    spent = await admin.get_job(job.id)
    assert (spent.status, spent.retry_count, spent.next_retry_at) == (JobStatus.FAILED, 1, None)
    again = await admin.retry_job(job.id)  # an admin may still try once more
    assert (again.retry_count, again.max_retries) == (2, 2)
    await drain(fake_dock)
    assert (await admin.get_job(job.id)).next_retry_at is None


async def test_a_failed_job_that_will_retry_says_when_and_which_attempt(
        fake_dock: Dock, clock: FakeClock) -> None:
    job = await fake_dock.admin.submit(NewJob("staged_sleep", ALWAYS_FAILS, max_retries=3))
    await drain(fake_dock)
    failed = await fake_dock.admin.get_job(job.id)
    assert failed.next_retry_at is not None
    moment = failed.next_retry_at - timedelta(seconds=28.4)
    assert retry_note(failed, moment) == "retrying in 28 s (attempt 2 of 4)"
    assert retry_note(failed, failed.next_retry_at) == "retrying now (attempt 2 of 4)"
    forced = await fake_dock.admin.force_fail_job(
        (await fake_dock.admin.submit(NewJob("staged_sleep"))).id)
    assert retry_note(forced, moment) is None

"""Issue 4: job-level retries on an injected clock (no test sleeps through a backoff),
in-stage ``with_retry``, per-job and per-type retry settings."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import ErrorType, Job, JobStatus, NewJob
from jobdock.worker.maintenance import RetryScheduler
from tests.support.engine import all_steps, drain, steps_of
from tests.support.jobtypes_engine import FLAKY_CALLS


def band(base: float, retry_count: int, jitter: float = 0.2, cap: float = 1800.0) -> tuple[
        float, float]:
    nominal = min(cap, base * 2 ** retry_count)
    return nominal * (1 - jitter), nominal * (1 + jitter)


def delay_of(job: Job, clock: FakeClock) -> float:
    assert job.next_retry_at is not None
    return (job.next_retry_at - clock.now()).total_seconds()


async def get(dock: Dock, job_id: uuid.UUID) -> Job:
    return await dock.admin.get_job(job_id)


async def test_transient_failures_retry_with_backoff_and_skip_finished_stages(
        fake_dock: Dock, clock: FakeClock, tmp_path: Path) -> None:
    trace, scheduler = tmp_path / "trace", RetryScheduler(fake_dock.store, clock)
    job = await fake_dock.admin.submit(NewJob("staged_sleep", {
        "stages": 4, "steps_per_stage": 3, "step_seconds": 0, "fail_transient_times": 2,
        "trace_file": str(trace)}))
    for attempt in range(2):
        await drain(fake_dock)
        failed = await get(fake_dock, job.id)
        assert (failed.status, failed.error_type, failed.retry_count) == \
            (JobStatus.FAILED, ErrorType.TRANSIENT, attempt)
        low, high = band(30.0, attempt)
        assert low <= delay_of(failed, clock) <= high
        assert await scheduler.run_once() == [], "not due before next_retry_at"
        clock.set(failed.next_retry_at + timedelta(milliseconds=1))  # type: ignore[operator]
        assert [j.id for j in await scheduler.run_once()] == [job.id]
    await drain(fake_dock)
    done = await get(fake_dock, job.id)
    assert done.status is JobStatus.COMPLETED and done.retry_count == 2
    assert done.output_data["digest"] == expected_digest(4, 3)
    assert steps_of(trace, job.id) == all_steps(4, 3), "a stage finished before a failure ran again"


async def test_jitter_stays_in_the_band_up_to_the_cap() -> None:
    from jobdock.jobs.retry import RetryPolicy

    policy, now = RetryPolicy(), FakeClock().now()
    for n in range(12):
        low, high = band(30.0, n)
        for _ in range(50):
            assert low <= (policy.next_retry_at(now, n) - now).total_seconds() <= high
    assert band(30.0, 11)[1] == 1800 * 1.2


async def test_permanent_failure_fails_at_once_and_is_never_retried(
        fake_dock: Dock, clock: FakeClock) -> None:
    job = await fake_dock.admin.submit(NewJob("staged_sleep", {
        "stages": 4, "steps_per_stage": 2, "step_seconds": 0, "fail_permanent_at": 2}))
    await drain(fake_dock)
    failed = await get(fake_dock, job.id)
    assert (failed.status, failed.error_type) == (JobStatus.FAILED, ErrorType.PERMANENT)
    assert failed.next_retry_at is None and failed.retry_count == 0
    assert "fail permanently at stage 3" in failed.error_message
    clock.advance(365 * 24 * 3600)
    assert await fake_dock.store.job_retry_eligible(clock.now()) == []
    assert await RetryScheduler(fake_dock.store, clock).run_once() == []
    assert (await get(fake_dock, job.id)).status is JobStatus.FAILED


async def test_running_out_of_retries_fails_for_good_and_says_so(
        fake_dock: Dock, clock: FakeClock) -> None:
    """max_retries per job (the column): 1 here, not the default 3."""
    job = await fake_dock.admin.submit(NewJob("staged_sleep", {
        "stages": 4, "steps_per_stage": 2, "step_seconds": 0, "fail_transient_times": 3},
        max_retries=1))
    scheduler = RetryScheduler(fake_dock.store, clock)
    await drain(fake_dock)
    clock.advance(3600)
    assert len(await scheduler.run_once()) == 1
    await drain(fake_dock)
    failed = await get(fake_dock, job.id)
    assert (failed.status, failed.error_type, failed.retry_count) == \
        (JobStatus.FAILED, ErrorType.TRANSIENT, 1)
    assert failed.next_retry_at is None
    assert failed.error_message.endswith("Gave up after 1 retry (the most allowed).")
    clock.advance(365 * 24 * 3600)
    assert await scheduler.run_once() == []


async def test_retry_eligible_query_returns_exactly_what_the_scheduler_picks(
        fake_dock: Dock, clock: FakeClock) -> None:
    store, now = fake_dock.store, clock.now()
    seconds = timedelta(seconds=1)
    cases = {  # name: (max_retries, error type, next_retry_at)
        "due": (3, ErrorType.TRANSIENT, now - seconds),
        "due_long_ago": (3, ErrorType.TRANSIENT, now - 1000 * seconds),
        "due_exactly_now": (3, ErrorType.TRANSIENT, now),
        "not_yet": (3, ErrorType.TRANSIENT, now + seconds),
        "permanent": (3, ErrorType.PERMANENT, None),
        "no_retries_allowed": (0, ErrorType.TRANSIENT, now - seconds),
    }
    ids = {}
    for name, (max_retries, kind, at) in cases.items():
        job = await store.job_insert(NewJob("noop", {"case": name}, max_retries=max_retries),
                                     now - 2000 * seconds)
        await store.job_claim("w", 1, None, now)
        assert await store.job_fail(job.id, "w", error_message=name, error_type=kind,
                                    next_retry_at=at, progress={}, metadata={}, now=now)
        ids[job.id] = name
    await store.job_insert(NewJob("noop"), now)  # pending: never eligible
    eligible = {j.id for j in await store.job_retry_eligible(now)}
    picked = {j.id for j in await RetryScheduler(store, clock).run_once()}
    assert eligible == picked
    assert {ids[i] for i in picked} == {"due", "due_long_ago"}
    for job_id in picked:
        job = await get(fake_dock, job_id)
        assert (job.status, job.retry_count, job.next_retry_at) == (JobStatus.PENDING, 1, None)
    assert await store.job_retry_eligible(now) == []


async def test_backoff_per_job_type(fake_dock: Dock, clock: FakeClock) -> None:
    job = await fake_dock.admin.submit(NewJob("engine_slow_backoff"))
    await drain(fake_dock)
    low, high = band(5.0, 0, jitter=0.1)
    assert low <= delay_of(await get(fake_dock, job.id), clock) <= high


async def test_backoff_per_job_from_metadata_overrides_the_type(
        fake_dock: Dock, clock: FakeClock) -> None:
    job = await fake_dock.admin.submit(NewJob(
        "engine_slow_backoff", metadata={"retry_policy": {"base_seconds": 100, "jitter": 0}}))
    await drain(fake_dock)
    first = await get(fake_dock, job.id)
    assert delay_of(first, clock) == 100
    clock.set(first.next_retry_at + timedelta(seconds=1))  # type: ignore[operator]
    await RetryScheduler(fake_dock.store, clock).run_once()
    await drain(fake_dock)
    assert delay_of(await get(fake_dock, job.id), clock) == 200


async def test_with_retry_recovers_a_flaky_operation_without_a_job_retry(
        fake_dock: Dock) -> None:
    key = str(uuid.uuid4())
    job = await fake_dock.admin.submit(NewJob("engine_flaky_op", {"key": key, "failures": 3}))
    await drain(fake_dock)
    done = await get(fake_dock, job.id)
    assert done.status is JobStatus.COMPLETED, done.error_message
    assert done.output_data == {"calls": 4} and done.retry_count == 0
    assert done.error_message is None


async def test_with_retry_gives_up_after_its_attempts_and_the_job_retries(
        fake_dock: Dock) -> None:
    key = str(uuid.uuid4())
    job = await fake_dock.admin.submit(NewJob("engine_flaky_op", {"key": key, "failures": 10}))
    await drain(fake_dock)
    failed = await get(fake_dock, job.id)
    assert FLAKY_CALLS[key] == 4, "the type's OperationRetry allows 4 attempts"
    assert (failed.status, failed.error_type) == (JobStatus.FAILED, ErrorType.TRANSIENT)
    assert failed.next_retry_at is not None


async def test_with_retry_does_not_retry_a_permanent_error(fake_dock: Dock) -> None:
    key = str(uuid.uuid4())
    job = await fake_dock.admin.submit(NewJob("engine_flaky_op", {
        "key": key, "failures": 1, "error": "permanent"}))
    await drain(fake_dock)
    failed = await get(fake_dock, job.id)
    assert FLAKY_CALLS[key] == 1
    assert (failed.status, failed.error_type) == (JobStatus.FAILED, ErrorType.PERMANENT)
    assert failed.error_message == "the document is corrupt" and failed.next_retry_at is None

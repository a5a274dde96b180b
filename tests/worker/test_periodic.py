"""Periodic jobs on both stores, with a fake clock: one job per period however many
enqueuers race, a missed stretch enqueued once, pause/resume, cron in a time zone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from jobdock.admin import InvalidRequest
from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import JobStatus
from jobdock.jobs.periodic import Schedule, parse_every
from jobdock.jobs.registry import Registry
from jobdock.store import JobFilter
from jobdock.worker.scheduler import PeriodicEnqueuer

START = datetime(2030, 1, 1, tzinfo=UTC)


async def periodic_jobs(dock: Dock, name: str) -> list[str]:
    jobs = await dock.store.job_list(JobFilter(limit=500))
    return sorted(j.metadata["period"] for j in jobs if j.metadata.get("periodic") == name)


async def test_racing_enqueuers_make_exactly_one_job_per_period(
        fake_dock: Dock, clock: FakeClock) -> None:
    clock.set(START)
    await fake_dock.admin.schedule_add(Schedule("tick", "noop", every=timedelta(minutes=1)))
    enqueuers = [PeriodicEnqueuer(fake_dock.store, clock, fake_dock.registry)
                 for _ in range(4)]
    for period in range(1, 21):
        clock.set(START + timedelta(minutes=period, seconds=1))
        await asyncio.gather(*(e.run_once() for e in enqueuers))
    periods = await periodic_jobs(fake_dock, "tick")
    assert periods == [(START + timedelta(minutes=m)).isoformat() for m in range(1, 21)]


async def test_a_missed_stretch_is_enqueued_once_then_the_next_run_is_after_now(
        fake_dock: Dock, clock: FakeClock) -> None:
    clock.set(START)
    await fake_dock.admin.schedule_add(Schedule("hourly", "noop", every=timedelta(hours=1)))
    clock.set(START + timedelta(hours=10, minutes=5))  # nobody ran for ten hours
    enqueuer = PeriodicEnqueuer(fake_dock.store, clock, fake_dock.registry)
    assert len(await enqueuer.run_once()) == 1
    assert await enqueuer.run_once() == []
    [row] = await fake_dock.admin.schedule_list()
    assert row["next_run_at"] == START + timedelta(hours=11)
    assert row["last_run_at"] == START + timedelta(hours=1)
    [job] = await fake_dock.store.job_list(JobFilter())
    assert (job.job_type, job.status, str(job.id)) == ("noop", JobStatus.PENDING,
                                                      row["last_job_id"])


async def test_a_paused_schedule_enqueues_nothing_and_resumes_after_now(
        fake_dock: Dock, clock: FakeClock) -> None:
    clock.set(START)
    await fake_dock.admin.schedule_add(Schedule("p", "noop", every=timedelta(minutes=1)))
    paused = await fake_dock.admin.schedule_pause("p")
    assert paused["paused_at"] == START
    enqueuer = PeriodicEnqueuer(fake_dock.store, clock, fake_dock.registry)
    clock.set(START + timedelta(minutes=5, seconds=30))
    assert await enqueuer.run_once() == []
    resumed = await fake_dock.admin.schedule_resume("p")
    assert resumed["paused_at"] is None
    assert resumed["next_run_at"] == START + timedelta(minutes=6)
    assert await enqueuer.run_once() == []
    clock.set(START + timedelta(minutes=6))
    assert len(await enqueuer.run_once()) == 1


async def test_cron_reads_its_time_zone_across_a_daylight_saving_change() -> None:
    nine_in_paris = Schedule("n", "noop", cron="0 9 * * *", timezone="Europe/Paris")
    winter = nine_in_paris.next_after(datetime(2030, 1, 10, 12, tzinfo=UTC))
    summer = nine_in_paris.next_after(datetime(2030, 7, 10, 12, tzinfo=UTC))
    assert (winter.hour, summer.hour) == (8, 7)  # 09:00 CET = 08:00 UTC, CEST = 07:00 UTC
    assert parse_every("6h") == timedelta(hours=6)


async def test_code_declared_schedules_and_limits_are_written_by_a_worker(
        settings: object, clock: FakeClock) -> None:
    registry = Registry()
    registry.job_type("tick_job", concurrency_limit=2, schedules=[
        Schedule("declared", "tick_job", cron="*/5 * * * *")])(lambda ctx: None)
    dock = await Dock.open(settings, clock=clock, registry=registry)  # type: ignore[arg-type]
    try:
        await PeriodicEnqueuer(dock.store, clock, registry).declare()
        [row] = await dock.admin.schedule_list()
        assert (row["name"], row["source"], row["cron"]) == ("declared", "code", "*/5 * * * *")
        [limit] = await dock.admin.limit_list()
        assert (limit["kind"], limit["name"], limit["max_running"]) == ("type", "tick_job", 2)
    finally:
        await dock.close()


async def test_bad_schedules_are_refused_with_a_reason(fake_dock: Dock) -> None:
    with pytest.raises(InvalidRequest, match="invalid cron"):
        fake_dock.admin.schedule_from("x", "noop", cron="not cron")
    with pytest.raises(InvalidRequest, match="exactly one"):
        fake_dock.admin.schedule_from("x", "noop")
    with pytest.raises(InvalidRequest, match="time zone"):
        fake_dock.admin.schedule_from("x", "noop", every=timedelta(1), timezone="Mars/Base")
    with pytest.raises(InvalidRequest, match="unknown job type"):
        await fake_dock.admin.schedule_add(Schedule("x", "nope", every=timedelta(1)))

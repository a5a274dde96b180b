"""Job ids are time-ordered (UUIDv7): a new job's id sorts after every earlier one, as a
UUID and as text, so both stores' primary keys grow at their right edge instead of at
random places (see bench/job_id_locality.py for what random ids cost at a million jobs)."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.describe import job_title
from jobdock.jobs.ids import new_job_id, short_job_id
from jobdock.jobs.model import NewJob
from jobdock.jobs.periodic import Schedule
from jobdock.store import JobFilter
from jobdock.worker.scheduler import PeriodicEnqueuer


def unix_ms(job_id: uuid.UUID) -> int:
    return job_id.int >> 80  # UUIDv7: the first 48 bits are the Unix time in ms


def test_new_ids_are_version_7_and_sort_in_the_order_they_were_made() -> None:
    before = int(time.time() * 1000)
    ids = [NewJob("noop").id for _ in range(5000)] + [new_job_id() for _ in range(5000)]
    after = int(time.time() * 1000)
    assert {i.version for i in ids} == {7}
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)  # within one millisecond too (a counter, not only the clock)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)  # SQLite keeps them as text
    assert before <= unix_ms(ids[0]) <= unix_ms(ids[-1]) <= after


async def test_stored_jobs_keep_their_order_by_id_on_both_stores(dock: Dock) -> None:
    one_by_one = [await dock.admin.submit_id(NewJob("test_record", {})) for _ in range(5)]
    many = await dock.admin.submit_many([NewJob("test_record", {}) for _ in range(5)])
    jobs = await dock.store.job_list(JobFilter(limit=50))  # newest first
    stored = [j.id for j in reversed(jobs)]
    assert stored == one_by_one + many
    assert stored == sorted(stored)


async def test_a_scheduled_job_gets_a_time_ordered_id(fake_dock: Dock,
                                                      clock: FakeClock) -> None:
    await fake_dock.admin.schedule_add(Schedule("tick", "noop", every=timedelta(minutes=1)))
    clock.advance(61)
    earlier = new_job_id()
    [job_id] = await PeriodicEnqueuer(fake_dock.store, clock, fake_dock.registry).run_once()
    assert job_id.version == 7 and job_id > earlier


async def test_jobs_submitted_together_are_claimed_in_the_order_given(dock: Dock) -> None:
    # one statement, one created_at: the id decides (random ids claimed them shuffled)
    ids = await dock.admin.submit_many([NewJob("test_record", {}) for _ in range(30)])
    claimed = await dock.store.job_claim("w", 30, None, dock.admin.clock.now())
    assert [j.id for j in claimed] == ids



async def test_jobs_made_together_have_distinct_short_ids_and_titles(dock: Dock) -> None:
    # a v7 id's first 8 hex digits are its timestamp's top bits: the same for a minute
    ids = [new_job_id() for _ in range(500)]
    shorts = [short_job_id(i) for i in ids]
    assert len(set(shorts)) == len(shorts)
    assert all(len(s) == 8 and s in str(i) for s, i in zip(shorts, ids, strict=True))
    await dock.admin.submit_many([NewJob("noop") for _ in range(20)])
    jobs = await dock.store.job_list(JobFilter(limit=50))
    assert len({job_title(j) for j in jobs}) == 20  # "job <short id>", one each

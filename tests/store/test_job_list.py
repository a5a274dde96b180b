"""The job list: several statuses (one ordered query per status on Postgres, merged) and
two indexed filters at once give the same pages, newest first, as filtering every job."""

from __future__ import annotations

import dataclasses

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.model import Job, NewJob
from jobdock.store import JobFilter


async def _pages(dock: Dock, f: JobFilter) -> list[Job]:
    seen: list[Job] = []
    while True:
        page = await dock.store.job_list(f)
        seen += page
        if len(page) < f.limit:
            return seen
        last = page[-1]
        stamp = last.updated_at if f.sort == "updated" else last.created_at
        f = dataclasses.replace(f, after=(stamp, last.id))


async def test_pages_of_several_statuses_and_of_two_filters_match_a_full_filter(
        fake_dock: Dock, clock: FakeClock) -> None:
    ids = []
    for i in range(24):
        clock.advance(1)
        job = await fake_dock.admin.submit(NewJob("noop" if i % 2 else "staged_sleep",
                                                  user_id=f"u{i % 3}"))
        ids.append(job.id)
    for i, job_id in enumerate(ids):
        clock.advance(1)
        if i % 4 == 1:
            await fake_dock.admin.pause_job(job_id)
        elif i % 4 == 2:
            await fake_dock.admin.force_fail_job(job_id)
    everything = await _pages(fake_dock, JobFilter(limit=500))
    assert len(everything) == 24
    for f, keep in (
            (JobFilter(statuses=("pending", "paused", "failed"), limit=4),
             lambda j: j.status in ("pending", "paused", "failed")),
            (JobFilter(statuses=("paused", "failed"), limit=3, sort="updated"),
             lambda j: j.status in ("paused", "failed")),
            (JobFilter(job_type="noop", user_id="u1", limit=2), lambda j: (j.job_type, j.user_id)
             == ("noop", "u1")),
            (JobFilter(statuses=("failed",), user_id="u2", limit=2),
             lambda j: (j.status, j.user_id) == ("failed", "u2")),
            (JobFilter(statuses=("pending", "failed"), job_type="staged_sleep", limit=2),
             lambda j: j.status in ("pending", "failed") and j.job_type == "staged_sleep")):
        expected = [j for j in everything if keep(j)]
        if f.sort == "updated":
            expected.sort(key=lambda j: (j.updated_at, j.id), reverse=True)
        assert [j.id for j in await _pages(fake_dock, f)] == [j.id for j in expected], f
        assert expected, f  # each case selects something

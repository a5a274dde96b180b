"""Acceptance: three worker processes on a clock the test controls, 100 periods →
exactly 100 jobs, one per period; a worker SIGKILLed mid-period leaves no gap and no
duplicate."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.periodic import Schedule
from jobdock.settings import Settings
from jobdock.store import JobFilter
from tests.support.clock_worker import FileClock, set_clock
from tests.support.engine import wait_for
from tests.support.processes import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("processes")]

START = datetime(2030, 1, 1, tzinfo=UTC)
PERIODS = 100


def start_clock_worker(url: str, storage: Path, clock_file: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.support.clock_worker", url,
                             str(storage), str(clock_file)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


async def test_three_workers_hundred_periods_exactly_hundred_jobs_despite_a_kill(
        settings: Settings, tmp_path: Path) -> None:
    url, storage, clock_file = settings.resolved_database_url(), tmp_path / "s", \
        tmp_path / "clock"
    set_clock(clock_file, START)
    dock = await Dock.open(settings, clock=FileClock(clock_file))
    await dock.admin.schedule_add(Schedule("every-minute", "noop", every=timedelta(minutes=1)))
    workers = [start_clock_worker(url, storage, clock_file) for _ in range(3)]
    rng = random.Random(15)
    kill_at = 50

    async def count() -> int:
        jobs = await dock.store.job_list(JobFilter(limit=500))
        return sum(1 for j in jobs if j.metadata.get("periodic") == "every-minute")

    try:
        for period in range(1, PERIODS + 1):
            set_clock(clock_file, START + timedelta(minutes=period, seconds=rng.random()))
            if period == kill_at:  # mid-period: the three are racing for it right now
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait(timeout=10)
                workers.append(start_clock_worker(url, storage, clock_file))
            await wait_for(lambda p=period: count_is(count, p), 60, f"period {period}")
        jobs = await dock.store.job_list(JobFilter(limit=500))
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(timeout=30)
        await dock.close()
    periods = sorted(j.metadata["period"] for j in jobs if j.metadata.get("periodic"))
    assert periods == [(START + timedelta(minutes=m)).isoformat()
                       for m in range(1, PERIODS + 1)]


async def count_is(count: object, expected: int) -> bool:
    n = await count()  # type: ignore[operator]
    assert n <= expected, f"{n} jobs after {expected} periods: a period was enqueued twice"
    return bool(n == expected)

"""Chaos: real worker processes SIGKILLed at random while the database restarts.

Postgres: a private server this test starts on its own port is restarted (immediate
shutdown, as a crash) twice while four worker processes run, and a random worker is
SIGKILLed (and replaced) every ~1.5 s. SQLite: the kills alone. Afterwards every job is
completed once with the digest of an uninterrupted run, and no worker exited on its own.
The figures (jobs, kills, restarts, retries, rescues, time to recover) are printed.
"""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.diagnostics import expected_digest
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings
from tests.support.pgserver import PrivatePostgres, fresh_database, private_postgres_fixture
from tests.support.processes import start_worker

private_pg = private_postgres_fixture()
pytestmark = pytest.mark.slow

STAGES, STEPS = 4, 5
JOB = {"stages": STAGES, "steps_per_stage": STEPS, "step_seconds": 0.02}
WORKERS = 4
MAX_KILLS = 20  # then the run finishes in peace (a loaded machine starts workers slowly)
WORKER_ARGS = ("--concurrency", "4", "--heartbeat-timeout", "3", "--grace", "2")


@dataclass
class Chaos:
    jobs: int
    kills: int = 0
    restarts: int = 0
    exited: list[int] = field(default_factory=list)  # return codes of workers that left
    recover_seconds: list[float] = field(default_factory=list)


async def _counts(dock: Dock) -> dict[str, int]:
    try:
        return await dock.store.job_counts()
    except ConnectionError:  # the database is down right now
        return {}


class ChaosRun:
    """Runs the workers, kills one now and then, restarts the database on schedule."""

    def __init__(self, dock: Dock, url: str, storage: Path, logs: Path, n_jobs: int,
                 server: PrivatePostgres | None) -> None:
        self.dock, self.url, self.storage, self.logs = dock, url, storage, logs
        self.server = server
        self.rng = random.Random(2026)
        self.chaos = Chaos(jobs=n_jobs)
        self.workers = [self._spawn(f"w{i}") for i in range(WORKERS)]
        self.restart_at = [3.0, 10.0] if server is not None else []

    def _spawn(self, name: str) -> subprocess.Popen[bytes]:
        return start_worker(self.url, self.storage, *WORKER_ARGS, log=self.logs / f"{name}.log")

    def replace_exited(self) -> None:
        for i, proc in enumerate(self.workers):
            if proc.poll() is not None:  # left on its own: a failure, but keep going
                self.chaos.exited.append(int(proc.returncode))
                self.workers[i] = self._spawn(f"w{i}-again{len(self.chaos.exited)}")

    def kill_one(self) -> None:
        victim = self.rng.randrange(len(self.workers))
        self.workers[victim].send_signal(signal.SIGKILL)
        self.workers[victim].wait()
        self.chaos.kills += 1
        self.workers[victim] = self._spawn(f"w{victim}-k{self.chaos.kills}")

    async def restart_database(self) -> None:
        assert self.server is not None
        before = (await _counts(self.dock)).get("completed", 0)
        await asyncio.to_thread(self.server.stop, "immediate")
        await asyncio.sleep(1.0)  # the outage itself
        await asyncio.to_thread(self.server.start)
        self.chaos.restarts += 1
        back = time.monotonic()
        while (await _counts(self.dock)).get("completed", 0) <= before:
            assert time.monotonic() - back < 40, "no job completed within 40 s of a restart"
            await asyncio.sleep(0.05)
        self.chaos.recover_seconds.append(time.monotonic() - back)

    async def run(self, deadline_s: float = 150.0) -> Chaos:
        started = time.monotonic()
        next_kill = started + 1.5
        try:
            while (await _counts(self.dock)).get("completed", 0) < self.chaos.jobs:
                now = time.monotonic()
                assert now - started < deadline_s, \
                    f"the chaos run did not finish in time: {await _counts(self.dock)}"
                self.replace_exited()
                if self.restart_at and now - started >= self.restart_at[0]:
                    self.restart_at.pop(0)
                    await self.restart_database()
                if now >= next_kill and self.chaos.kills < MAX_KILLS:
                    self.kill_one()
                    next_kill = now + self.rng.uniform(1.0, 2.0)
                await asyncio.sleep(0.05)
        finally:
            self.stop_all()
        return self.chaos

    def stop_all(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _check_and_report(dock: Dock, store: str, chaos: Chaos, ids: list, seconds: float,
                            logs: Path) -> None:
    wrong = lost = retries = rescues = 0
    want = expected_digest(STAGES, STEPS)
    for job_id in ids:
        job = await dock.store.job_get(job_id)
        if job is None or job.status is not JobStatus.COMPLETED:
            lost += 1
            continue
        wrong += job.output_data.get("digest") != want
        retries += job.retry_count
        rescues += int(job.metadata.get("rescue_count", 0))
    outage_lines = sum(log.read_text(errors="replace").count("database unavailable")
                       for log in logs.glob("*.log"))
    recover = ", ".join(f"{s:.1f}" for s in chaos.recover_seconds) or "-"
    print(f"\nchaos[{store}]: jobs {chaos.jobs}, kills {chaos.kills}, database restarts "
          f"{chaos.restarts}, jobs lost {lost}, wrong digests {wrong}, workers exited "
          f"{len(chaos.exited)}, retries spent {retries}, rescues {rescues}, time to recover "
          f"after restart (s) {recover}, outage log lines {outage_lines}, took {seconds:.1f} s")
    assert lost == 0 and wrong == 0
    assert chaos.exited == [], f"workers exited on their own: {chaos.exited}"
    assert retries == 0, "an outage or a kill spent a job's retry"


async def _chaos(url: str, tmp_path: Path, store: str, n_jobs: int,
                 server: PrivatePostgres | None) -> None:
    import tests.support.jobtypes  # noqa: F401 - the workers import them too

    storage, logs = tmp_path / "storage", tmp_path / "logs"
    logs.mkdir()
    dock = await Dock.open(Settings(database_url=url, storage_url=str(storage),
                                    home=tmp_path / "home"))
    try:
        ids = await dock.admin.submit_many([NewJob("staged_sleep", JOB) for _ in range(n_jobs)])
        started = time.monotonic()
        chaos = await ChaosRun(dock, url, storage, logs, n_jobs, server).run()
        await _check_and_report(dock, store, chaos, ids, time.monotonic() - started, logs)
    finally:
        await dock.close()


@pytest.mark.postgres
async def test_chaos_postgres_restarts_and_worker_kills(private_pg: PrivatePostgres,
                                                        tmp_path: Path) -> None:
    await _chaos(fresh_database(private_pg), tmp_path, "postgres", 160, private_pg)


async def test_chaos_sqlite_worker_kills(tmp_path: Path) -> None:
    await _chaos(f"sqlite:///{tmp_path / 'jobdock.db'}", tmp_path, "sqlite", 60, None)

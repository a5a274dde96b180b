"""Issue 4: a worker that lost its job (force-failed, or rescued and claimed by another
worker) cannot overwrite the new state: every write it tries is a guarded transition.

The old worker's sync and heartbeat loops are slowed to an hour, so it does not learn of
the loss; its handler then writes a checkpoint or completes, racing the new state."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from jobdock.admin.service import FORCE_FAIL_MESSAGE
from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.jobs.interrupts import Interrupt
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.worker import WorkerSettings
from jobdock.worker.maintenance import Rescuer
from tests.support.engine import running, wait_for, wait_status
from tests.support.jobtypes_engine import Gate

OBLIVIOUS = WorkerSettings(sync_interval=3600, heartbeat_interval=3600, poll_interval=0.02,
                           maintenance=False, shutdown_grace=10, concurrency=1)


def racing_job(kind: str, gate: Gate, tmp_path: Path) -> NewJob:
    if kind == "checkpoint":
        gate.stop_at = "step part2 2"
        return NewJob("engine_gated_sleep", {"gate": gate.name, "stages": 3,
                                             "steps_per_stage": 3, "step_seconds": 0})
    gate.stop_at = "waiting"
    return NewJob("engine_wait", {"gate": gate.name})


@pytest.mark.parametrize("kind", ["checkpoint", "completion"])
async def test_force_failed_job_is_not_overwritten_by_its_old_worker(
        dock: Dock, tmp_path: Path, kind: str) -> None:
    gate = Gate(f"ff-{uuid.uuid4()}")
    job = await dock.admin.submit(racing_job(kind, gate, tmp_path))
    worker = dock.worker(dataclasses.replace(OBLIVIOUS))
    async with running(worker):
        await wait_for(lambda: gate.reached(gate.stop_at or ""), what="the handler")
        failed = await dock.admin.force_fail_job(job.id)
        gate.open()
        await wait_for(lambda: not worker.running, what="the old run to end")
    after = await dock.admin.get_job(job.id)
    assert (after.status, after.error_message, after.output_data) == \
        (JobStatus.FAILED, FORCE_FAIL_MESSAGE, None)
    assert after.metadata == failed.metadata and after.progress == failed.progress
    assert after.updated_at == failed.updated_at, "the old worker wrote to the row"


@pytest.mark.parametrize("kind", ["checkpoint", "completion"])
async def test_rescued_job_is_not_overwritten_by_its_old_worker(
        fake_dock: Dock, clock: FakeClock, tmp_path: Path, kind: str) -> None:
    gate = Gate(f"rescue-{uuid.uuid4()}")
    job = await fake_dock.admin.submit(racing_job(kind, gate, tmp_path))
    worker = fake_dock.worker(dataclasses.replace(OBLIVIOUS))
    async with running(worker):
        await wait_for(lambda: gate.reached(gate.stop_at or ""), what="the handler")
        clock.advance(120)  # the old worker looks dead: no heartbeat for two minutes
        rescued = await Rescuer(fake_dock.store, clock, heartbeat_timeout=30).run_once()
        assert [j.id for j in rescued] == [job.id]
        # (the old worker has no free slot: concurrency 1, its run still lingers)
        [reclaimed] = await fake_dock.store.job_claim("new-worker", 1, None, clock.now())
        gate.open()
        await wait_for(lambda: not worker.running, what="the old run to end")
    after = await fake_dock.admin.get_job(job.id)
    assert (after.status, after.worker_id, after.output_data) == \
        (JobStatus.PROCESSING, "new-worker", None)
    assert after.metadata == reclaimed.metadata and after.updated_at == reclaimed.updated_at
    assert after.metadata["rescue_count"] == 1


async def test_a_lingering_run_of_a_job_its_worker_claimed_again_writes_nothing(
        fake_dock: Dock, clock: FakeClock) -> None:
    """The worker stalled, its job was rescued and the same worker claimed it again while
    the old run still lingered: both runs carry the same worker id, so the database guard
    cannot tell them apart; the worker itself must silence the old run."""
    gate, t0 = Gate(f"again-{uuid.uuid4()}"), clock.now()
    first, second = f"claimed {t0.isoformat()}", \
        f"claimed {(t0 + timedelta(seconds=120)).isoformat()}"
    gate.also_stop_at = {first, second}
    job = await fake_dock.admin.submit(NewJob("engine_wait", {"gate": gate.name}))
    worker = fake_dock.worker(dataclasses.replace(OBLIVIOUS, concurrency=2))
    async with running(worker):
        await wait_for(lambda: gate.reached(first), what="the first run")
        old = worker.running[job.id]
        clock.advance(120)
        assert await Rescuer(fake_dock.store, clock, heartbeat_timeout=30).run_once()
        await wait_for(lambda: gate.reached(second), what="the same worker to claim it again")
        assert worker.running[job.id] is not old
        assert old.port.interrupt() is Interrupt.LOST
        gate.release(first)  # the old run finishes first, while the new one still runs
        await wait_for(lambda: gate.reached(first.replace("claimed", "returning")),
                       what="the old run to return")
        gate.release(second)
        done = await wait_status(fake_dock, job.id, JobStatus.COMPLETED)
    assert done.output_data == {"claimed_at": (t0 + timedelta(seconds=120)).isoformat()}


async def test_a_job_claimed_while_control_flags_are_read_is_not_taken_for_lost(
        dock: Dock) -> None:
    """Regression: sync_once asked for the flags of the running jobs, then judged every job
    running *now*; one claimed during the query had no flags and was marked lost, so its
    checkpoints and outcome were dropped and it sat in `processing` until rescued."""
    gates = [Gate(f"flags-{uuid.uuid4()}") for _ in range(2)]
    for gate in gates:
        gate.stop_at = "waiting"
    await dock.admin.submit(NewJob("engine_wait", {"gate": gates[0].name}))
    worker = dock.worker(dataclasses.replace(OBLIVIOUS, concurrency=2))
    assert await worker.run_once() == 1
    second = await dock.admin.submit(NewJob("engine_wait", {"gate": gates[1].name}))
    real_fetch = dock.store.fetch

    async def claim_during_the_query(name: str, params: dict[str, object]) -> list[object]:
        rows = await real_fetch(name, params)  # type: ignore[arg-type]
        if name == "job_control_flags":
            assert await worker.run_once() == 1
        return rows  # type: ignore[return-value]

    dock.store.fetch = claim_during_the_query  # type: ignore[method-assign,assignment]
    await worker.sync_once()
    dock.store.fetch = real_fetch  # type: ignore[method-assign]
    assert second.id in worker.running
    assert [r.port.interrupt() for r in worker.running.values()] == [None, None]
    for gate in gates:
        gate.open()
    await wait_for(lambda: not worker.running, what="both runs to end")
    await worker.completer.drain()
    assert (await dock.admin.counts())["completed"] == 2

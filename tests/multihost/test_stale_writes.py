"""A run that lost its job (rescued while its worker was cut off) must not write to storage.

Found with the multi-host rig: a worker cut off from Postgres longer than the heartbeat
timeout comes back with a handler mid-stage; its next checkpoint write records the key and
puts the file although the job was rescued (and completed, and cleaned up) elsewhere, so
the file stays behind. ``WorkerPort.write_blob`` checks only the run's own interrupt flag,
which the worker sets at its next sync or heartbeat, after the write. Here the window is
held open with long sync/heartbeat intervals instead of a partition.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.worker import WorkerSettings
from tests.multihost import jobtypes
from tests.multihost.observe import until

pytestmark = pytest.mark.postgres
assert jobtypes.rig_staged  # registers the rig's job types


async def test_a_rescued_run_writes_no_file(pg_url: str, tmp_path: Path) -> None:
    import tests.multihost.jobtypes  # noqa: F401
    from jobdock.settings import Settings

    started, release = tmp_path / "started", tmp_path / "release"
    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    settings = WorkerSettings(sync_interval=60, heartbeat_interval=60, maintenance=False,
                              poll_interval=0.05)
    worker = dock.worker(settings)
    task = asyncio.create_task(worker.run())
    try:
        job = await dock.admin.submit(NewJob("rig_write_after_release",
                                             {"started": str(started), "release": str(release)}))
        await until(started.exists, 30, "the job to start")
        now = dock.clock.now()
        rescued = await dock.store.job_rescue_stale(now + timedelta(hours=1), now)
        assert [j.id for j in rescued] == [job.id]
        # another host takes it over before this worker looks again
        taken = await dock.store.job_claim("other-host:1:abc", 1, None, dock.clock.now())
        assert [j.id for j in taken] == [job.id]
        release.touch()  # the cut-off run resumes and saves its cursor
        await until(lambda: not worker.running, 30, "the lost run to end")
        after = await dock.admin.get_job(job.id)
        assert after.status is JobStatus.PROCESSING and after.worker_id == "other-host:1:abc"
        assert dock.storage.list(f"jobs/{job.id}") == [], "the lost run wrote a file"
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        await dock.close()


async def test_a_job_deleted_while_finishing_is_deleted(pg_url: str, tmp_path: Path) -> None:
    """Found with the rig: ``cancel_and_delete_job`` on a running job answers "its worker
    deletes it"; a job that completed before the worker's next sync read the request
    stayed completed. Fixed on main meanwhile (completions guarded on
    ``cancel_requested_at``); kept as the rig's regression test."""
    from jobdock.admin.errors import JobNotFound
    from jobdock.settings import Settings

    started, release = tmp_path / "started", tmp_path / "release"
    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    worker = dock.worker(WorkerSettings(sync_interval=60, heartbeat_interval=60,
                                        maintenance=False, poll_interval=0.05))
    task = asyncio.create_task(worker.run())
    try:
        job = await dock.admin.submit(NewJob("rig_write_after_release",
                                             {"started": str(started), "release": str(release)}))
        await until(started.exists, 30, "the job to start")
        # usually "its worker deletes it" (deleted False); under a loaded machine the job
        # may have been handed back first and go at once: either way it must end deleted
        await dock.admin.cancel_and_delete_job(job.id)
        release.touch()
        # the deletion may finish in a follow-up task after the run itself has ended
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            try:
                left = await dock.admin.get_job(job.id)
            except JobNotFound:
                return
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"the job stayed: {left.status}, cancel requested "
                            f"{left.cancel_requested_at}, worker {left.worker_id}")
            await asyncio.sleep(0.05)
    finally:
        worker.stop()
        await asyncio.wait_for(task, 30)
        await dock.close()


async def test_deleting_a_completed_job_leaves_no_file(pg_url: str, tmp_path: Path) -> None:
    """Found with the rig: a completed job's final results under its own ``jobs/{id}/``
    prefix stayed after the delete, owned by nothing."""
    from jobdock.settings import Settings

    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    try:
        job = await dock.admin.submit(NewJob("rig_staged", {"seed": 1, "stages": 1,
                                                            "steps": 1, "step_seconds": 0}))
        await dock.worker(WorkerSettings(burst=True)).run()
        assert (await dock.admin.get_job(job.id)).status is JobStatus.COMPLETED
        assert dock.storage.list(f"jobs/{job.id}") == [f"jobs/{job.id}/result.json"]
        await dock.admin.cancel_and_delete_job(job.id)
        assert dock.storage.list(f"jobs/{job.id}") == [], "the deleted job's result stayed"
    finally:
        await dock.close()


async def test_checkpoints_of_a_job_completed_by_a_dead_worker_are_cleaned(
        pg_url: str, tmp_path: Path) -> None:
    """Found with the rig: a host SIGKILLed right after its worker recorded a completion
    (before ``delete_job_files``) leaves the job's checkpoints in the object store. Nothing
    later looks at completed jobs' intermediate file records; here the maintenance round
    of a surviving worker (rescuer, retry scheduler, ...) is given the chance."""
    from jobdock.settings import Settings

    dock = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    try:
        job = await dock.admin.submit(NewJob("rig_staged", {"seed": 1}))
        now = dock.clock.now()
        dead = "dead-host:1:abc"
        assert [j.id for j in await dock.store.job_claim(dead, 1, None, now)] == [job.id]
        key = f"jobs/{job.id}/stage-s0.json"
        assert await dock.store.file_add_owned(job.id, dead, key, False)
        dock.storage.put(key, b"{}")
        assert await dock.store.job_complete(job.id, dead, {}, {}, now)
        # ... and the host dies here, before it deletes the checkpoint.
        survivor = dock.worker(WorkerSettings())
        await survivor.maintain_once()
        assert dock.storage.list(f"jobs/{job.id}") == [], "the checkpoint stayed"
    finally:
        await dock.close()

"""A worker killed after recording a completion but before deleting the job's
intermediate files: the maintenance loop of any worker finishes that cleanup (crash
fabricated as the state it leaves, on both stores)."""

from __future__ import annotations

import asyncio

import pytest

import tests.support.jobtypes_engine  # noqa: F401  (registers engine_files*)
from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.storage import InvalidKey
from jobdock.worker import WorkerSettings

DEAD = "dead-host:1:abc"


async def test_maintenance_deletes_intermediates_left_by_a_dead_worker(dock: Dock) -> None:
    ids = {}
    for job_type, doc in (("engine_files", "doc1"), ("engine_files_kept", "doc2")):
        job = await dock.admin.submit(NewJob(job_type, user_id="ann",
                                             entity_type="document", entity_id=doc))
        now = dock.clock.now()
        assert [j.id for j in await dock.store.job_claim(DEAD, 1, None, now)] == [job.id]
        for key, final in ((f"documents/ann/{doc}/stage-extract.json", False),
                           (f"documents/ann/{doc}/chunks.json", True)):
            assert await dock.store.file_add_owned(job.id, DEAD, key, final)
            dock.storage.put(key, b"{}")
        assert await dock.store.job_complete(job.id, DEAD, {}, {}, now)
        ids[job_type] = job.id
    # ... the host dies here; a surviving worker's maintenance round cleans up
    await dock.worker(WorkerSettings()).maintain_once()
    assert dock.storage.list("documents/ann/doc1") == ["documents/ann/doc1/chunks.json"]
    assert await dock.store.file_list(ids["engine_files"]) == [
        ("documents/ann/doc1/chunks.json", True)]
    # a job type that keeps its intermediates keeps them
    assert dock.storage.list("documents/ann/doc2") == [
        "documents/ann/doc2/chunks.json", "documents/ann/doc2/stage-extract.json"]


async def test_one_job_whose_cleanup_fails_does_not_stop_the_sweep(dock: Dock) -> None:
    """A completed job whose recorded key the storage refuses (recorded by an older worker
    before the key was checked) made every sweep raise: the other jobs' leftovers stayed,
    and the maintenance steps after the sweep were skipped in that round. It is logged and
    left (its records kept); the others are cleaned."""
    poison = await dock.admin.submit(NewJob("engine_files", user_id="ann",
                                            entity_type="document", entity_id="bad"))
    now = dock.clock.now()
    assert [j.id for j in await dock.store.job_claim(DEAD, 1, None, now)] == [poison.id]
    assert await dock.store.file_add_owned(poison.id, DEAD, "documents/ann/bad//x.json", False)
    assert await dock.store.job_complete(poison.id, DEAD, {}, {}, now)
    others = []
    for doc in ("d1", "d2", "d3"):
        job = await dock.admin.submit(NewJob("engine_files", user_id="ann",
                                             entity_type="document", entity_id=doc))
        now = dock.clock.now()
        assert [j.id for j in await dock.store.job_claim(DEAD, 1, None, now)] == [job.id]
        key = f"documents/ann/{doc}/stage-extract.json"
        assert await dock.store.file_add_owned(job.id, DEAD, key, False)
        dock.storage.put(key, b"{}")
        assert await dock.store.job_complete(job.id, DEAD, {}, {}, now)
        others.append(job.id)
    swept = await dock.worker(WorkerSettings()).sweeper.run_once(force=True)
    assert swept == 3
    assert dock.storage.list("documents/ann") == []
    for job_id in others:
        assert await dock.store.file_list(job_id) == []
    assert await dock.store.file_list(poison.id) == [("documents/ann/bad//x.json", False)]


async def test_a_key_the_storage_refuses_is_not_recorded(dock: Dock) -> None:
    """``write_blob`` recorded the key before the storage checked it: a refused key left a
    record no cleanup could ever delete (see above)."""
    job = await dock.admin.submit(NewJob("engine_files", user_id="ann",
                                         entity_type="document", entity_id="d1"))
    worker = dock.worker(WorkerSettings())
    assert [j.id for j in await dock.store.job_claim(worker.worker_id, 1, None,
                                                     dock.clock.now())] == [job.id]
    port = worker.executor.prepare(job).port
    with pytest.raises(InvalidKey):
        await asyncio.to_thread(port.write_blob, "documents/ann/d1//x.json", b"{}", final=False)
    assert await dock.store.file_list(job.id) == []

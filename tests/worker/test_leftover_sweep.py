"""A worker killed after recording a completion but before deleting the job's
intermediate files: the maintenance loop of any worker finishes that cleanup (crash
fabricated as the state it leaves, on both stores)."""

from __future__ import annotations

import tests.support.jobtypes_engine  # noqa: F401  (registers engine_files*)
from jobdock.app import Dock
from jobdock.jobs.model import NewJob
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

"""Deleting what a job stored: used by the worker (on completion) and the admin (on delete)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from jobdock.jobs.checkpoints import default_prefix
from jobdock.storage import Storage
from jobdock.store import Store

log = logging.getLogger("jobdock.files")


async def delete_job_files(store: Store, storage: Storage, job_id: uuid.UUID, *,
                           keep_final: bool) -> list[str]:
    """Delete a job's recorded storage keys (all, or all but its final results): on
    completion, or for a job that failed or was cancelled."""
    files = await store.file_list(job_id)
    return await _delete(store, storage, job_id,
                         [key for key, final in files if not (keep_final and final)])


async def delete_files_of_deleted_job(store: Store, storage: Storage, job_id: uuid.UUID, *,
                                      completed: bool) -> list[str]:
    """Delete what a job being deleted stored. Only a completed job's final results
    outside its own ``jobs/{id}/`` prefix stay (a document's files, owned by the
    document); what is under the job's prefix is the job's alone and would be junk."""
    own = default_prefix(job_id) + "/"
    files = await store.file_list(job_id)
    return await _delete(store, storage, job_id, [
        key for key, final in files if not (completed and final and not key.startswith(own))])


async def _delete(store: Store, storage: Storage, job_id: uuid.UUID,
                  doomed: list[str]) -> list[str]:
    if doomed:
        await asyncio.to_thread(storage.delete_many, doomed)
        await store.file_forget(job_id, doomed)
        log.info("deleted %d stored file(s) of job %s", len(doomed), job_id)
    return doomed

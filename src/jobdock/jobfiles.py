"""Deleting what a job stored: used by the worker (on completion) and the admin (on delete)."""

from __future__ import annotations

import asyncio
import logging
import uuid

from jobdock.storage import Storage
from jobdock.store import Store

log = logging.getLogger("jobdock.files")


async def delete_job_files(store: Store, storage: Storage, job_id: uuid.UUID, *,
                           keep_final: bool) -> list[str]:
    """Delete a job's recorded storage keys (all, or all but its final results)."""
    files = await store.file_list(job_id)
    doomed = [key for key, final in files if not (keep_final and final)]
    if doomed:
        await asyncio.to_thread(storage.delete_many, doomed)
        await store.file_forget(job_id, doomed)
        log.info("deleted %d stored file(s) of job %s", len(doomed), job_id)
    return doomed

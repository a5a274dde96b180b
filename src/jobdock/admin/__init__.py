"""The only mutation API: the web UI, the CLI and the client all go through it.

It also names what they need of the layers below: the list filter and the errors a
request can end in (the database or the storage unreachable).
"""

from jobdock.admin.errors import AdminError, InvalidRequest, JobNotFound
from jobdock.admin.service import AdminService
from jobdock.storage import StorageError, StorageUnavailable
from jobdock.store import JobFilter, StoreUnavailable

__all__ = ["AdminError", "AdminService", "InvalidRequest", "JobFilter", "JobNotFound",
           "StorageError", "StorageUnavailable", "StoreUnavailable"]

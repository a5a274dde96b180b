"""The only mutation API: the web UI, the CLI and the client all go through it."""

from jobdock.admin.errors import AdminError, InvalidRequest, JobNotFound
from jobdock.admin.service import AdminService

__all__ = ["AdminError", "AdminService", "InvalidRequest", "JobNotFound"]

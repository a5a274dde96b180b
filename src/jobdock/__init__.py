"""jobdock: long, staged, resumable background jobs.

The public API for handler authors and programs that submit work::

    import jobdock

    @jobdock.job_type("resize", label="Resizing", stages=["load", "resize", "save"])
    def resize(ctx: jobdock.JobContext) -> dict: ...

    client = jobdock.Client.from_url("sqlite:///.jobdock/jobdock.db")
    job_id = client.submit("resize", {"path": "a.png"})
"""

from jobdock.jobs.context import JobContext
from jobdock.jobs.errors import (
    InvalidInputError,
    PaywallError,
    PermanentError,
    TransientError,
)
from jobdock.jobs.model import ErrorType, Job, JobStatus, NewJob
from jobdock.jobs.registry import Stage, default_registry, job_type
from jobdock.jobs.retry import RetryPolicy

__all__ = [
    "AsyncClient",
    "Client",
    "ErrorType",
    "InvalidInputError",
    "Job",
    "JobContext",
    "JobStatus",
    "NewJob",
    "PaywallError",
    "PermanentError",
    "RetryPolicy",
    "Stage",
    "TransientError",
    "default_registry",
    "job_type",
]


def __getattr__(name: str) -> object:
    # The client pulls in the stores; import it lazily so handler modules stay light.
    if name in ("Client", "AsyncClient"):
        from jobdock import client

        return getattr(client, name)
    raise AttributeError(name)

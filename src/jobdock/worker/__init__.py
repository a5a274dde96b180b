"""The worker: claims jobs, runs their handlers, keeps them alive, honours requests."""

from jobdock.worker.settings import WorkerSettings
from jobdock.worker.worker import Worker

__all__ = ["Worker", "WorkerSettings"]

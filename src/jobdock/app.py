"""Composition root: the one place that picks concrete backends and wires the parts."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from jobdock.admin import AdminService
from jobdock.admin.documents import DocumentService
from jobdock.documents_wiring import DocumentRepoAdapter
from jobdock.events import EventBus
from jobdock.events.feeds import (
    CONTROL_CHANNEL,
    JOBS_CHANNEL,
    QUEUE_CHANNEL,
    listen_postgres,
    poll_changes,
)
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.jobs.model import NewJob
from jobdock.jobs.registry import Registry, default_registry
from jobdock.settings import Settings
from jobdock.storage import Storage, open_storage
from jobdock.store import Store, open_store
from jobdock.worker import Worker, WorkerSettings
from jobdock.worker.port import WorkerPort

log = logging.getLogger("jobdock")

BUILTIN_MODULES = ("jobdock.jobs.diagnostics", "jobdock.documents.types")


class ImportFailed(Exception):
    pass


def load_job_types(modules: list[str], registry: Registry = default_registry) -> Registry:
    """Import jobdock's own job types and the user's modules (``--import``).

    User modules are looked up in the current directory first, as celery and rq workers
    do, so ``--import wordcount`` finds ``./wordcount.py`` without ``PYTHONPATH=.``.
    """
    if modules and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in (*BUILTIN_MODULES, *modules):
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportFailed(f"cannot import job module {name!r}: {exc}") from None
    return registry


@dataclass
class Dock:
    settings: Settings
    store: Store
    storage: Storage
    registry: Registry
    clock: Clock = field(default_factory=SystemClock)
    bus: EventBus = field(default_factory=EventBus)
    _feed: asyncio.Task[Any] | None = None
    _follow_up_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    async def open(cls, settings: Settings | None = None, *, migrate: bool = True,
                   clock: Clock | None = None, registry: Registry | None = None) -> Dock:
        settings = settings or Settings()
        registry = load_job_types(settings.imports, registry or default_registry)
        store = await open_store(settings.resolved_database_url())
        if migrate:
            await store.migrate()
        storage = open_storage(settings.resolved_storage_url())
        return cls(settings, store, storage, registry, clock or SystemClock())

    @property
    def admin(self) -> AdminService:
        return AdminService(self.store, self.storage, self.registry, self.clock)

    @property
    def documents(self) -> DocumentService:
        return DocumentService(self.admin)

    def worker(self, settings: WorkerSettings | None = None) -> Worker:
        settings = settings or WorkerSettings()
        if self.store.dialect == "sqlite" and settings.poll_interval > 0.2:
            # No NOTIFY across processes: poll often; an idle poll is one indexed read.
            settings = dataclasses.replace(settings, poll_interval=0.02)
        if self.store.dialect == "sqlite" and settings.control_interval is None:
            # No NOTIFY: running jobs' control flags are read often (one read by ids).
            settings = dataclasses.replace(settings, control_interval=0.02)
        return Worker(self.store, self.storage, self.registry, settings, bus=self.bus,
                      clock=self.clock, services={"documents": self._document_repo})

    def _document_repo(self, port: WorkerPort) -> DocumentRepoAdapter:
        return DocumentRepoAdapter(self.store, port.call, self.clock,
                                   follow_up=self.queue_unless_active)

    async def queue_unless_active(self, new: NewJob) -> str | None:
        """Submit ``new`` if its type is registered and the user has none of it active.

        One statement decides (atomic on SQLite); the lock also serialises this process's
        jobs on Postgres, where two processes could still both insert in a narrow window.
        """
        if new.job_type not in self.registry:
            return None
        async with self._follow_up_lock:
            job = await self.admin.submit_unless_active(new)
        return str(job.id) if job else None

    async def start_feed(self, poll_interval: float = 0.5, *, ui: bool = True) -> None:
        """Start turning database changes into bus events (for the UI and the worker).

        ``ui=False`` (a worker alone) hears only that jobs became due, not every change.
        """
        if self._feed is not None:
            return
        if self.store.dialect == "postgres":
            ready = asyncio.Event()
            url = self.settings.resolved_database_url()
            channels: tuple[str, ...] = (QUEUE_CHANNEL, CONTROL_CHANNEL)
            if ui:
                channels += (JOBS_CHANNEL,)
            self._feed = asyncio.create_task(listen_postgres(url, self.bus, ready, channels))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ready.wait(), 5.0)
        else:
            self._feed = asyncio.create_task(poll_changes(self.store, self.bus, poll_interval,
                                                          self.clock))

    async def close(self) -> None:
        if self._feed is not None:
            self._feed.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._feed
        await self.store.close()
        self.storage.close()

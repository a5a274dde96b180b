"""Composition root: the one place that picks concrete backends and wires the parts."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import importlib
import logging
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jobdock.admin import AdminService
from jobdock.events import EventBus
from jobdock.events.bus import JobEvent
from jobdock.events.feeds import (
    CONTROL_CHANNEL,
    JOBS_CHANNEL,
    QUEUE_CHANNEL,
    listen_postgres,
    poll_changes,
)
from jobdock.extensions import Extension, ServiceEnv
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.jobs.model import NewJob
from jobdock.jobs.registry import Registry, default_registry
from jobdock.jobs.services import ServiceKey
from jobdock.settings import Settings
from jobdock.storage import Storage, open_storage
from jobdock.store import Store, open_store

if TYPE_CHECKING:  # the worker is imported when one is built: job commands never need it
    from jobdock.worker import Worker, WorkerSettings
    from jobdock.worker.port import ServiceFactory, WorkerPort

log = logging.getLogger("jobdock")

# What the web UI and the CLI take from the composition root (they import no lower layer).
__all__ = ["BUILTIN_MODULES", "Dock", "EventBus", "Extension", "ImportFailed", "JobEvent",
           "Worker", "WorkerSettings", "import_extensions", "load_job_types"]



def __getattr__(name: str) -> object:
    # Worker and WorkerSettings are exported lazily: job commands (``jobdock jobs list``)
    # import the composition root but never the worker.
    if name in ("Worker", "WorkerSettings"):
        import jobdock.worker

        return getattr(jobdock.worker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Loaded by default: the diagnostic job types, the document library, its integrations and
# its connections (extensions).
BUILTIN_MODULES = ("jobdock.diagnostics", "jobdock.library",
                   "jobdock.library.integrations.extension", "jobdock.library.connections")


class ImportFailed(Exception):
    pass


def import_extensions(modules: list[str] | tuple[str, ...]) -> list[Extension]:
    """Import jobdock's default modules and the user's (``--import``); return the
    extensions among them (a module's ``extension`` object). A plain job module registers
    its types on import, as before.

    User modules are looked up in the current directory first, as celery and rq workers
    do, so ``--import wordcount`` finds ``./wordcount.py`` without ``PYTHONPATH=.``.
    """
    if modules and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    extensions: dict[str, Extension] = {}
    for name in dict.fromkeys((*BUILTIN_MODULES, *modules)):
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ImportFailed(f"cannot import job module {name!r}: {exc}") from None
        extension = getattr(module, "extension", None)
        if isinstance(extension, Extension):
            extensions.setdefault(extension.name, extension)
    return list(extensions.values())


def load_job_types(modules: list[str], registry: Registry = default_registry) -> Registry:
    """Import the default and the user's modules and register their job types."""
    for extension in import_extensions(modules):
        if extension.register is not None:
            extension.register(registry)
    return registry


@dataclass
class Dock:
    settings: Settings
    store: Store
    storage: Storage
    registry: Registry
    clock: Clock = field(default_factory=SystemClock)
    extensions: list[Extension] = field(default_factory=list)
    bus: EventBus = field(default_factory=EventBus)
    _feed: asyncio.Task[Any] | None = None

    @classmethod
    async def open(cls, settings: Settings | None = None, *, migrate: bool = True,
                   clock: Clock | None = None, registry: Registry | None = None,
                   job_types: bool = True) -> Dock:
        """``job_types=False`` (commands that only read or steer jobs) loads no job module
        or extension: no handler stack is imported, and only the engine's schema is
        migrated (an extension's tables come with the next full open)."""
        settings = settings or Settings()
        registry = registry or default_registry
        extensions = import_extensions(settings.imports) if job_types else []
        for extension in extensions:
            if extension.register is not None:
                extension.register(registry)
        store = await open_store(settings.resolved_database_url(),
                                 tcp_timeout=settings.database_tcp_timeout)
        storage = open_storage(settings.resolved_storage_url())
        dock = cls(settings, store, storage, registry, clock or SystemClock(),
                   extensions=extensions)
        if migrate:
            await dock.migrate()
        return dock

    async def migrate(self) -> list[str]:
        """Apply the engine's pending migrations, then each extension's."""
        return await self.store.migrate([e.migrations for e in self.extensions
                                         if e.migrations is not None])

    @property
    def admin(self) -> AdminService:
        return AdminService(self.store, self.storage, self.registry, self.clock)

    def worker(self, settings: WorkerSettings | None = None) -> Worker:
        from jobdock.worker import Worker, WorkerSettings

        settings = settings or WorkerSettings()
        if self.store.dialect == "sqlite" and settings.poll_interval > 0.2:
            # No NOTIFY across processes: poll often; an idle poll is one indexed read.
            settings = dataclasses.replace(settings, poll_interval=0.02)
        if self.store.dialect == "sqlite" and settings.control_interval is None:
            # No NOTIFY: running jobs' control flags are read often (one read by ids).
            settings = dataclasses.replace(settings, control_interval=0.02)
        return Worker(self.store, self.storage, self.registry, settings, bus=self.bus,
                      clock=self.clock, services=self._service_factories())

    def _service_factories(self) -> dict[ServiceKey[object], ServiceFactory]:
        """Each extension's typed services, built per job run from that run's port."""
        factories: dict[ServiceKey[object], ServiceFactory] = {}
        for extension in self.extensions:
            for binding in extension.services:
                def factory(port: WorkerPort, make: Callable[[ServiceEnv], object]
                            = binding.factory) -> object:
                    # follow-up jobs wait for the job that queues them (a dependency)
                    follow_up = functools.partial(self.queue_follow_up, port.job_id)
                    return make(ServiceEnv(self.store, self.storage, self.clock, port,
                                           follow_up))
                factories[binding.key] = factory
        return factories

    async def queue_follow_up(self, parent_id: uuid.UUID, new: NewJob) -> str | None:
        """Queue ``new`` to start once the job ``parent_id`` (still running) completed.

        One per user and type while one is pending or running: a unique key decides
        (atomic on both stores), so a second follow-up returns the first's id. If the
        parent fails for good or is cancelled, the follow-up is cancelled with a reason.
        """
        if new.job_type not in self.registry:
            return None
        new = dataclasses.replace(
            new, after=(parent_id,), unique_key=f"follow-up:{new.job_type}:{new.user_id or ''}",
            unique_statuses=("pending", "processing"))
        return str((await self.admin.submit(new)).id)

    async def start_feed(self, poll_interval: float = 0.5, *, ui: bool = True) -> None:
        """Start turning database changes into bus events (for the UI and the worker).

        ``ui=False`` (a worker alone) hears only that jobs became due, not every change.
        """
        if self._feed is not None:
            return
        if self.store.dialect == "postgres":
            ready = asyncio.Event()
            from jobdock.store.postgres.tcp import tcp_defaults

            url = tcp_defaults(self.settings.resolved_database_url(),
                               self.settings.database_tcp_timeout)
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

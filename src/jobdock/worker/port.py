"""The bridge between a handler's thread and the worker: storage, job row, control flags."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, TypeVar, cast

from jobdock.jobs.checkpoints import CheckpointRecord
from jobdock.jobs.clock import Clock
from jobdock.jobs.interrupts import Interrupt, JobInterrupted
from jobdock.jobs.services import ServiceKey, UnknownService
from jobdock.storage import Storage, validate_key
from jobdock.store import Store

T = TypeVar("T")
ServiceFactory = Callable[["WorkerPort"], object]
_CALL_TIMEOUT = 60.0


class WorkerPort:
    """Implements ``jobs.context.RuntimePort`` for one job run by one worker."""

    def __init__(self, loop: asyncio.AbstractEventLoop, store: Store, storage: Storage,
                 job_id: uuid.UUID, worker_id: str, clock: Clock,
                 services: Mapping[ServiceKey[object], ServiceFactory] | None = None) -> None:
        self.loop = loop
        self.store = store
        self.storage = storage
        self.job_id = job_id
        self.worker_id = worker_id
        self.clock = clock
        self._interrupt: Interrupt | None = None
        self._wake = threading.Event()
        self.wrote_intermediate = False
        self._service_factories = services or {}
        self._services: dict[ServiceKey[object], object] = {}

    # ---- control ---------------------------------------------------------------------
    def interrupt(self) -> Interrupt | None:
        return self._interrupt

    def request(self, reason: Interrupt) -> None:
        """Set by the worker: LOST wins over everything, then CANCEL, PAUSE, SHUTDOWN."""
        order = [Interrupt.SHUTDOWN, Interrupt.PAUSE, Interrupt.CANCEL, Interrupt.LOST]
        if self._interrupt is None or order.index(reason) > order.index(self._interrupt):
            self._interrupt = reason
        self._wake.set()

    def sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)

    # ---- storage and the job row -------------------------------------------------------------
    def write_blob(self, key: str, data: bytes, *, final: bool) -> None:
        self.write_blob_stream(key, (data,), final=final)

    def write_blob_stream(self, key: str, pieces: Iterable[bytes], *, final: bool) -> None:
        if self._interrupt is Interrupt.LOST:
            raise JobInterrupted(Interrupt.LOST)
        validate_key(key)  # a key the storage refuses is never recorded (no cleanup could go)
        # Record the key before writing it: a crash in between leaves a record of a
        # missing file (harmless), never an orphan file nobody will delete. The record is
        # fenced by ownership: a run that lost its job (rescued while its worker was cut
        # off) learns it here, before it writes anything.
        if not self._call(self.store.file_add_owned(self.job_id, self.worker_id, key, final)):
            self.request(Interrupt.LOST)
            raise JobInterrupted(Interrupt.LOST)
        self.storage.put_stream(key, pieces)
        if not final:
            self.wrote_intermediate = True

    def delete_blob(self, key: str) -> None:
        """Delete a file this job wrote earlier (a superseded checkpoint), only while the
        job is still this run's: a new owner may be resuming from that very file."""
        alive = self._call(self.store.job_heartbeat(self.worker_id, [self.job_id],
                                                    self.clock.now()))
        if self.job_id not in alive:
            self.request(Interrupt.LOST)
            raise JobInterrupted(Interrupt.LOST)
        self.storage.delete(key)
        self._call(self.store.file_forget(self.job_id, [key]))

    def read_blob(self, key: str) -> bytes | None:
        return self.storage.get(key)

    def record_checkpoint(self, record: CheckpointRecord, progress: dict[str, Any]) -> None:
        if self._interrupt is Interrupt.LOST:
            raise JobInterrupted(Interrupt.LOST)
        ok = self._call(self.store.job_record_checkpoint(
            self.job_id, self.worker_id, record, progress, self.clock.now()))
        if not ok:
            self.request(Interrupt.LOST)
            raise JobInterrupted(Interrupt.LOST)

    def service(self, key: ServiceKey[T]) -> T:
        if key not in self._services:
            if key not in self._service_factories:
                raise UnknownService(key)
            self._services[key] = self._service_factories[key](self)
        # The binding paired this key with a factory of its type (see extensions.bind).
        return cast(T, self._services[key])

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the worker's loop from the handler's thread and wait for it."""
        return self._call(coro)

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            coro.close()
            raise RuntimeError("checkpoints need a sync handler (def, not async def): "
                               "they block while the file and the job row are written")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(_CALL_TIMEOUT)

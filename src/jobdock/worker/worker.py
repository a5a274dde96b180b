"""The worker loop: ``run_once()`` claims and starts jobs; ``run()`` is a thin loop around it.

Beside the claim loop run three small loops: sync (write coalesced progress, read
pause/cancel requests), heartbeat, and maintenance (rescuer, retry scheduler).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import timedelta
from typing import Any

from jobdock.events import EventBus, JobEvent
from jobdock.jobs.clock import Clock, SystemClock
from jobdock.jobs.interrupts import Interrupt
from jobdock.jobs.model import Job, JobStatus
from jobdock.jobs.registry import Registry
from jobdock.jobs.services import ServiceKey
from jobdock.storage import Storage
from jobdock.store import Store, is_store_conflict, is_store_outage
from jobdock.worker.completer import Completer
from jobdock.worker.executor import Executor, RunningJob
from jobdock.worker.maintenance import LeftoverSweeper, Pruner, Rescuer, RetryScheduler
from jobdock.worker.memory import return_large_frees
from jobdock.worker.outage import CONFLICT_PAUSE, Outage
from jobdock.worker.port import ServiceFactory
from jobdock.worker.scheduler import PeriodicEnqueuer
from jobdock.worker.settings import WorkerSettings

log = logging.getLogger("jobdock.worker")
CONTROL_OPS = {"cancel": Interrupt.CANCEL, "pause": Interrupt.PAUSE}


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def loop_name(loop: asyncio.AbstractEventLoop) -> str:
    return type(loop).__module__.split(".")[0]  # "uvloop" or "asyncio"


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(self, store: Store, storage: Storage, registry: Registry,
                 settings: WorkerSettings | None = None, *, bus: EventBus | None = None,
                 clock: Clock | None = None, worker_id: str | None = None,
                 services: Mapping[ServiceKey[object], ServiceFactory] | None = None) -> None:
        self.store = store
        self.settings = settings or WorkerSettings()
        self.bus = bus
        self.clock = clock or SystemClock()
        self.worker_id = worker_id or new_worker_id()
        self.outage = Outage(self.worker_id)
        # Outcomes wait out an outage this long; after that the rescuer hands the job back.
        patience = self.settings.heartbeat_timeout
        self.completer = Completer(store, self.worker_id, self.clock, outage=self.outage,
                                   patience=patience)
        self._stopping = asyncio.Event()
        self.executor = Executor(store, storage, registry, self.clock, self.worker_id,
                                 self.completer, services, outage=self.outage,
                                 patience=patience, stopping=self._stopping)
        self.rescuer = Rescuer(store, self.clock, self.settings.heartbeat_timeout)
        self.retry_scheduler = RetryScheduler(store, self.clock)
        self.pruner = None if self.settings.retention is None else Pruner(
            store, storage, self.clock, self.settings.retention,
            self.settings.retention_batch, self.settings.retention_interval)
        self.enqueuer = PeriodicEnqueuer(store, self.clock, registry)
        self.sweeper = LeftoverSweeper(store, storage, self.clock, registry)
        self.started_at = self.clock.now()
        self._declared = False
        self.running: dict[uuid.UUID, RunningJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._finished = asyncio.Event()
        self._stop_requested = False
        self._epoch = (store.connection_epoch, 0, False)
        self._claiming = asyncio.Lock()
        self._looping = False  # the claim loop runs (and takes queued completions)
        self.completer.owner = self._owns_completion
        self.jobs_started = 0

    # ---- one step ------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Record the completions queued so far and claim as many due jobs as there are
        free slots, in one round trip; start the jobs claimed."""
        if self._stopping.is_set():
            return 0
        free = max(0, self.settings.concurrency - len(self.running))
        batch = self.completer.take()
        if not free and not batch:
            return 0
        async with self._claiming:  # a reconcile must not see a claim half registered
            try:
                won, jobs = await self.outage.call(lambda: self.store.job_complete_and_claim(
                    self.worker_id, [(i, o, p) for i, o, p, _ in batch], free,
                    self.settings.types, self.clock.now(), self.settings.queues))
            except BaseException:
                self.completer.give_back(batch)  # written on their own, with patience
                raise
            self.completer.settle(batch, won)
            self._start(jobs)
        self.jobs_started += len(jobs)
        return len(jobs)

    def _owns_completion(self) -> bool:
        """A job's completion was queued: the claim loop records it with its next claim
        (woken now), unless it is not running, stopping, or waiting out an outage."""
        if not self._looping or self._stopping.is_set() or self.outage.down:
            return False
        self._wake.set()
        return True

    def _start(self, jobs: list[Job]) -> None:
        for job in jobs:
            stale = self.running.get(job.id)
            if stale is not None:  # lost earlier, claimed again: the old run must not write
                stale.port.request(Interrupt.LOST)
            running = self.executor.prepare(job)
            self.running[job.id] = running
            task = asyncio.create_task(self._run_job(running))
            self._tasks.add(task)

    async def _run_job(self, running: RunningJob) -> None:
        try:
            await self.executor.run(running)
        except Exception:
            log.exception("worker could not record the outcome of job %s", running.job.id)
        finally:
            if self.running.get(running.job.id) is running:
                del self.running[running.job.id]
            self._tasks.discard(asyncio.current_task())
            self._wake.set()

    # ---- the loop --------------------------------------------------------------------------
    async def run(self) -> None:
        """Work until ``stop()`` (or, in burst mode, until the queue is empty)."""
        return_large_frees()
        log.info("worker %s started (concurrency %d, %s loop)", self.worker_id,
                 self.settings.concurrency, loop_name(asyncio.get_running_loop()))
        try:
            await self.outage.call(self._announce)
        except Exception as exc:  # the heartbeat loop announces it again
            log.warning("could not announce worker %s: %s", self.worker_id, exc)
        helpers = [asyncio.create_task(loop()) for loop in self._helper_loops()]
        try:
            await self._claim_loop()
        finally:
            await self._shutdown()
            self._finished.set()
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            # after the helpers stopped: a last heartbeat must not write the row back
            with contextlib.suppress(Exception):
                await self.store.worker_remove(self.worker_id)
            log.info("worker %s stopped after %d jobs", self.worker_id, self.jobs_started)

    def _helper_loops(self) -> list[Callable[[], Coroutine[Any, Any, None]]]:
        loops: list[Callable[[], Coroutine[Any, Any, None]]] = [self._sync_loop,
                                                                 self._heartbeat_loop]
        if self.settings.maintenance:
            loops.append(self._maintenance_loop)
        if self.settings.control_interval is not None:
            loops.append(self._control_loop)
        if self.bus is not None:
            loops.append(self._listen_loop)
        return loops

    async def _claim_loop(self) -> None:
        self._looping = True
        try:
            await self._claim_until_stopped()
        finally:
            self._looping = False

    async def _claim_until_stopped(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            # A job that ends (and is recorded) while the claim is in flight may make a
            # dependent due after the claim looked: burst mode then looks once more.
            busy = bool(self.running or self.completer.in_flight)
            try:
                claimed = await self.run_once()
            except Exception as exc:
                if is_store_conflict(exc):  # rolled back whole (a deadlock with another
                    # session, as a migration running beside workers can be): claim again
                    log.warning("worker %s: the database rolled a claim back (%s); "
                                "claiming again", self.worker_id, _first_line(exc))
                    await self._pause_after_conflict()
                    continue
                if not is_store_outage(exc):
                    raise
                await self.outage.pause(self._stopping)  # logged once by the tracker
                continue
            if self.settings.burst and not claimed and not self.running:
                if busy or self.completer.in_flight:
                    await self.completer.drain()
                    continue
                return  # nothing due, running or being recorded: the queue is drained
            if claimed and len(self.running) < self.settings.concurrency:
                # The queue may hold more: look again, once the jobs just claimed have
                # started (their first step runs before the next claim is sent).
                await asyncio.sleep(0)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)

    async def _pause_after_conflict(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), CONFLICT_PAUSE)

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    def reset(self) -> None:
        """Make a worker whose loop ended by an error runnable again."""
        if not self._stop_requested:
            self._finished.clear()
            self._stopping.clear()

    def stop(self) -> None:
        """Ask the worker to stop: running jobs checkpoint at their next safe point."""
        self._stop_requested = True
        self._stopping.set()
        self._wake.set()

    async def _shutdown(self) -> None:
        self._stopping.set()
        for running in self.running.values():
            running.port.request(Interrupt.SHUTDOWN)
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=self.settings.shutdown_grace)
        await self.completer.drain()
        await self.executor.drain()
        try:
            released = await self.outage.call(
                lambda: self.store.job_release_worker(self.worker_id, self.clock.now()))
        except Exception as exc:
            if not is_store_outage(exc):
                raise
            released = set()  # the rescuer hands them back once the database returns
        if released:
            log.warning("released %d job(s) that did not stop within %.0fs", len(released),
                        self.settings.shutdown_grace)
        for running in self.running.values():
            running.port.request(Interrupt.LOST)

    # ---- helpers -------------------------------------------------------------------------------
    async def _every(self, interval: float, step: Callable[[], Awaitable[object]]) -> None:
        # Loops end on the `_finished` flag, not only on cancellation: on Python 3.11 a
        # cancel that lands while a library's wait_for completes can be swallowed, and a
        # loop relying on it alone would then run on (seen as a 30 s stall at shutdown).
        while not self._finished.is_set():
            try:
                await self.outage.call(step)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not is_store_outage(exc):  # an outage is logged once, by the tracker
                    log.warning("%s failed: %s", getattr(step, "__name__", "step"), exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._finished.wait(), interval)

    async def _sync_loop(self) -> None:
        await self._every(self.settings.sync_interval, self.sync_once)

    async def _heartbeat_loop(self) -> None:
        await self._every(self.settings.heartbeat_interval, self.heartbeat_once)

    async def _control_loop(self) -> None:
        assert self.settings.control_interval is not None
        await self._every(self.settings.control_interval, self.control_once)

    async def control_once(self) -> None:
        if self.running:
            await self._apply_control_flags()

    async def _maintenance_loop(self) -> None:
        await self._every(self.settings.maintenance_interval, self.maintain_once)

    async def _listen_loop(self) -> None:
        assert self.bus is not None
        async with self.bus.subscribe() as queue:
            while True:
                event = await queue.get()
                if event.op in CONTROL_OPS:
                    self._control_event(event)
                elif event.op == "queue" or event.status == JobStatus.PENDING:
                    self._wake.set()

    def _control_event(self, event: JobEvent) -> None:
        """A pause or cancel asked of a job this worker runs (Postgres NOTIFY): the run
        hears it now, not at the next sync."""
        if event.worker_id != self.worker_id or event.id is None:
            return
        running = self.running.get(uuid.UUID(event.id))
        if running is not None:
            running.port.request(CONTROL_OPS[event.op])

    async def sync_once(self) -> None:
        """Write changed progress; learn of pause/cancel requests and lost jobs."""
        if not self.running:
            return
        dirty = {}
        for job_id, running in list(self.running.items()):
            if running.ctx is not None:
                version, progress = running.ctx.progress_snapshot()
                if version > running.flushed_version:
                    dirty[job_id] = (version, progress)
        if dirty:
            await self.store.job_sync_progress(
                self.worker_id, {i: p for i, (_, p) in dirty.items()}, self.clock.now())
            for job_id, (version, _) in dirty.items():
                if job_id in self.running:
                    self.running[job_id].flushed_version = version
        await self._apply_control_flags()

    async def _apply_control_flags(self) -> None:
        # Only the runs asked about: a job claimed while the query ran is not in its answer.
        asked = dict(self.running)
        flags = await self.store.job_control_flags(list(asked))
        for job_id, running in asked.items():
            flag = flags.get(job_id)
            if flag is None or flag.status != JobStatus.PROCESSING or \
                    flag.worker_id != self.worker_id:
                running.port.request(Interrupt.LOST)
            elif flag.cancel_requested:
                running.port.request(Interrupt.CANCEL)
            elif flag.pause_requested:
                running.port.request(Interrupt.PAUSE)

    def info(self) -> dict[str, Any]:
        host, pid = socket.gethostname(), os.getpid()
        return {"id": self.worker_id, "host": host, "pid": pid,
                "concurrency": self.settings.concurrency,
                "queues": list(self.settings.queues) if self.settings.queues else None,
                "types": list(self.settings.types) if self.settings.types else None}

    async def _announce(self) -> None:
        await self.store.worker_announce(self.info(), len(self.running), self.clock.now())

    async def heartbeat_once(self) -> None:
        await self.reconcile_after_reconnect()
        await self._announce()
        if not self.running:
            return
        ids = list(self.running)
        alive = await self.store.job_heartbeat(self.worker_id, ids, self.clock.now())
        for job_id in ids:
            if job_id not in alive and job_id in self.running:
                self.running[job_id].port.request(Interrupt.LOST)

    async def reconcile_after_reconnect(self) -> None:
        """After the database came back (new connections, or an outage this worker saw),
        hand back jobs the database says this worker runs but it does not: a crash of the
        database can lose the last relaxed commits (a completion, a claim's answer)."""
        epoch = (self.store.connection_epoch, self.outage.outages, self.outage.down)
        if epoch == self._epoch or self.outage.down:
            return
        async with self._claiming:
            keep = set(self.running) | self.completer.in_flight | self.executor.following
            released = await self.store.job_release_orphans(self.worker_id, keep,
                                                            self.clock.now())
        self._epoch = epoch
        if released:
            log.warning("worker %s: handed back %d job(s) the database still gave it after "
                        "reconnecting", self.worker_id, len(released))
            self._wake.set()

    async def maintain_once(self) -> None:
        # Prove our own jobs alive first: after a long database outage every heartbeat is
        # old, and the rescuer must not hand back the jobs this very worker is running.
        await self.heartbeat_once()
        await self.rescuer.run_once()
        if not self._declared:  # schedules and limits declared in code, once per worker
            await self.enqueuer.declare()
            self._declared = True
        woke = bool(await self.retry_scheduler.run_once())
        woke |= bool(await self.enqueuer.run_once())
        if woke:
            self._wake.set()
        await self.store.worker_prune(
            self.clock.now() - timedelta(seconds=self.settings.heartbeat_timeout * 4))
        await self.sweeper.run_once()
        if self.pruner is not None:
            await self.pruner.run_once()
        await self.store.job_counts_fold()  # keeps the counts read a sum of a few rows

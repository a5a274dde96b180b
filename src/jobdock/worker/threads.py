"""Run sync handlers on a pool of reused daemon threads.

Daemon threads, so a stuck handler never blocks process exit (the worker hands its job
back after the grace period); reused, so a short job does not pay for a new thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_Task = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class DaemonThreadPool:
    """Grows to as many threads as tasks run at once; idle threads wait for the next task."""

    def __init__(self, name: str = "handler") -> None:
        self._tasks: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()
        self._name = name
        self._count = 0

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
            else:
                self._count += 1
        self._tasks.put((loop, future, fn, args))
        if spawn:
            threading.Thread(target=self._serve, name=f"{self._name}-{self._count}",
                             daemon=True).start()
        return future

    def _serve(self) -> None:
        while True:
            loop, future, fn, args = self._tasks.get()
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting task
                _settle(loop, future, False, exc)
            else:
                _settle(loop, future, True, result)
            with self._lock:
                self._idle += 1


def _settle(loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], ok: bool,
            value: Any) -> None:
    def apply() -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    # The loop may be gone (worker stopped); then nobody waits for this result.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(apply)


_pool = DaemonThreadPool()


def run_in_daemon_thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    return _pool.submit(fn, *args)

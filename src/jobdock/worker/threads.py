"""Run sync handlers in daemon threads, so a stuck handler never blocks process exit."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_daemon_thread(fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)

    def target() -> None:
        try:
            result = fn(*args)
        except BaseException as exc:  # handed to the awaiting task
            _call_soon(loop, settle, False, exc)
        else:
            _call_soon(loop, settle, True, result)

    threading.Thread(target=target, name=getattr(fn, "__name__", "handler"), daemon=True).start()
    return future


def _call_soon(loop: asyncio.AbstractEventLoop, fn: Callable[..., Any], *args: Any) -> None:
    # The loop may be gone (worker stopped); then nobody waits for this result.
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(fn, *args)

"""The event loop the command-line processes run on: uvloop where it is installed.

jobdock depends on uvloop on Linux and macOS. A worker spends much of each short job in
the loop's own machinery (tasks, futures, socket readiness); on uvloop the same drain
took about 10 % less of the worker's CPU per job (``bench/drain_inprocess.py``, three
pairs in turns: 151-172 against 170-186 µs a job). ``JOBDOCK_EVENT_LOOP=asyncio`` (or
``Settings.event_loop``) keeps the standard loop; ``uvloop`` insists on it.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
EventLoopChoice = Literal["auto", "uvloop", "asyncio"]


class EventLoopUnavailable(RuntimeError):
    """``uvloop`` was asked for where it is not installed."""


def uses_uvloop(choice: EventLoopChoice) -> bool:
    installed = importlib.util.find_spec("uvloop") is not None
    if choice == "uvloop" and not installed:
        raise EventLoopUnavailable(
            "JOBDOCK_EVENT_LOOP=uvloop, but uvloop is not installed here "
            "(pip install uvloop; it exists for Linux and macOS)")
    return installed and choice != "asyncio"


def run(main: Coroutine[Any, Any, T], choice: EventLoopChoice = "auto") -> T:
    """``asyncio.run(main)``, on uvloop unless ``choice`` says otherwise."""
    if uses_uvloop(choice):
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)

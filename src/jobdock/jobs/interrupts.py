"""Why a running job stops before its handler returns.

These derive from BaseException so that a handler's ``except Exception`` cannot
swallow a pause or a cancel.
"""

from __future__ import annotations

from enum import StrEnum


class Interrupt(StrEnum):
    PAUSE = "pause"  # an admin asked to pause: checkpoint, then `paused`
    CANCEL = "cancel"  # an admin asked to cancel: stop, clean up, delete
    SHUTDOWN = "shutdown"  # the worker is stopping: checkpoint, then `pending`
    LOST = "lost"  # the job is no longer ours (rescued, force-failed): write nothing


class JobInterrupted(BaseException):
    def __init__(self, reason: Interrupt) -> None:
        self.reason = reason
        super().__init__(f"job interrupted: {reason}")

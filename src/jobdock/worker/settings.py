"""Worker tuning knobs, with defaults for production; tests shrink the intervals."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WorkerSettings:
    concurrency: int = 10
    types: tuple[str, ...] | None = None  # only claim these job types
    queues: tuple[str, ...] | None = None  # only claim from these queues
    burst: bool = False  # drain the queue, then exit
    poll_interval: float = 1.0  # backstop when no wake-up arrives
    sync_interval: float = 0.25  # progress writes and pause/cancel checks, per worker
    # Extra reads of running jobs' pause/cancel flags, when no NOTIFY tells the worker
    # (SQLite); None: only with each sync.
    control_interval: float | None = None
    heartbeat_interval: float = 5.0
    heartbeat_timeout: float = 30.0  # the rescuer hands back jobs silent for this long
    maintenance_interval: float = 2.0  # rescuer + retry scheduler
    shutdown_grace: float = 10.0  # running jobs get this long to reach a safe point
    maintenance: bool = True
    # Retention: completed and cancelled jobs untouched this long are pruned (None: kept).
    retention: float | None = 30 * 86400.0
    retention_batch: int = 500
    retention_interval: float = 60.0  # prune at most this often

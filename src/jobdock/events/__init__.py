"""Change feed: who hears about job changes, and how fast.

Postgres: LISTEN/NOTIFY (a trigger announces every change). SQLite: an in-process bus,
plus polling of ``updated_at`` for changes other processes made.
"""

from jobdock.events.bus import EventBus, JobEvent

__all__ = ["EventBus", "JobEvent"]

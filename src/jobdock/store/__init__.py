"""Job stores: one protocol, a Postgres and an SQLite implementation, one migrator."""

from jobdock.store.base import (
    ControlFlags,
    JobFilter,
    Store,
    StoreUnavailable,
    is_store_conflict,
    is_store_outage,
)
from jobdock.store.factory import open_store
from jobdock.store.migrations import MigrationSet

__all__ = ["ControlFlags", "JobFilter", "MigrationSet", "Store", "StoreUnavailable",
           "is_store_conflict", "is_store_outage",
           "open_store"]

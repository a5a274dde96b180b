"""A migration sequence for tests/store/test_migration_deadlock.py: one step shaped like
engine migration 0006 (a share lock on background_jobs, then an exclusive one)."""

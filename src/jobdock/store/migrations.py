"""Migration sequences: the engine's and one per extension, in one migrations table.

The engine's versions are recorded bare (``0001_background_jobs``); an extension's are
recorded as ``{name}/{version}`` (``library/0001_documents``), so each sequence is
numbered on its own. ``adopts`` names versions recorded under an older layout that
already created what a migration creates: the migrator then records it without running
it (a database migrated before the documents left the engine keeps its tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from jobdock.store.queries import ENGINE_PACKAGE, migration_files


@dataclass(frozen=True)
class MigrationSet:
    """An ordered migration sequence: ``{package}/{dialect}/migrations/NNNN_name.sql``."""

    name: str
    package: str
    adopts: Mapping[str, str] = field(default_factory=dict)  # our version -> recorded one

    def record(self, version: str) -> str:
        return version if self.package == ENGINE_PACKAGE else f"{self.name}/{version}"


ENGINE_MIGRATIONS = MigrationSet("engine", ENGINE_PACKAGE)


@dataclass(frozen=True)
class Step:
    version: str  # as recorded
    sql: str | None  # None: already in place under an older layout, only record it


def pending_steps(dialect: str, done: set[str],
                  extra: Sequence[MigrationSet] = ()) -> list[Step]:
    """What to apply, engine first, then each extension's sequence in order."""
    steps: list[Step] = []
    for migration_set in (ENGINE_MIGRATIONS, *extra):
        for version, sql in migration_files(dialect, migration_set.package):
            recorded = migration_set.record(version)
            if recorded in done:
                continue
            adopted = migration_set.adopts.get(version)
            steps.append(Step(recorded, None if adopted in done else sql))
    return steps

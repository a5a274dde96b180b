"""Loads named queries (blocks that start with ``-- name: NAME``) and numbered migrations.

The engine's live in ``jobdock.store/{dialect}/``; an extension keeps its own beside its
code (``{package}/{dialect}/queries.sql`` and ``{package}/{dialect}/migrations/*.sql``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)
ENGINE_PACKAGE = "jobdock.store"


def parse_queries(text: str) -> dict[str, str]:
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [ln for ln in body.strip().splitlines() if not ln.lstrip().startswith("--")]
        if name in queries:
            raise ValueError(f"query {name!r} is defined twice")
        queries[name] = "\n".join(lines).strip().rstrip(";")
    return queries


@cache
def load_queries(dialect: str, package: str = ENGINE_PACKAGE) -> dict[str, str]:
    text = resources.files(package).joinpath(dialect, "queries.sql").read_text()
    return parse_queries(text)


def migration_files(dialect: str, package: str = ENGINE_PACKAGE) -> list[tuple[str, str]]:
    """(version, sql) of a dialect's numbered migrations, in order."""
    folder = resources.files(package).joinpath(dialect, "migrations")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), folder.joinpath(name).read_text()) for name in files]

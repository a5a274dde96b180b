"""Loads named queries (blocks that start with ``-- name: NAME``) and numbered migrations.

The engine's live in ``jobdock.store/{dialect}/``; an extension keeps its own beside its
code (``{package}/{dialect}/queries.sql`` and ``{package}/{dialect}/migrations/*.sql``).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*([\w{}]+)\s*$", re.MULTILINE)
ENGINE_PACKAGE = "jobdock.store"


_EACH = re.compile(r"^--\s*each\s+(\w+)\s+in:\s*(.+)$", re.MULTILINE)


def parse_queries(text: str) -> dict[str, str]:
    """Named blocks; a block named ``x_{var}`` with a ``-- each var in: a b`` line stands for
    one query per value (``x_a``, ``x_b``), ``{var}`` replaced in its name and body."""
    parts = _NAME.split(text)
    queries: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        lines = [ln for ln in body.strip().splitlines() if not ln.lstrip().startswith("--")]
        sql = "\n".join(lines).strip().rstrip(";")
        each = _EACH.search(body) if "{" in name else None
        variants = [(each.group(1), v) for v in each.group(2).split()] if each else [("", "")]
        for var, value in variants:
            expanded = name.replace(f"{{{var}}}", value) if var else name
            if expanded in queries:
                raise ValueError(f"query {expanded!r} is defined twice")
            queries[expanded] = sql.replace(f"{{{var}}}", value) if var else sql
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

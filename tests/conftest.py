"""Shared fixtures: a real SQLite file and a real Postgres schema per test.

Postgres tests skip when no server answers, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from jobdock.app import Dock
from jobdock.settings import Settings

PG_BASE = os.environ.get("JOBDOCK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_BASE, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc)


_PG_PROBLEM = _pg_reachable()


def require_postgres() -> None:
    if _PG_PROBLEM is None:
        return
    if IN_CI:
        pytest.fail(f"Postgres is required under CI but unreachable: {_PG_PROBLEM}")
    pytest.skip(f"Postgres unreachable: {_PG_PROBLEM}")


def schema_url(schema: str) -> str:
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty Postgres schema for one test."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema_url(schema)
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jobdock.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobdock.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, storage_url=str(tmp_path / "storage"),
                    home=tmp_path / "home")


@pytest.fixture
async def dock(settings: Settings) -> AsyncIterator[Dock]:
    import tests.jobtypes  # noqa: F401 - registers the test job types

    d = await Dock.open(settings)
    try:
        yield d
    finally:
        await d.close()

"""Every shared fixture, in one place: a real SQLite file and a real Postgres schema per
test, docks (plain and on a fake clock), the web app in-process and as a live server,
and generated document sources. Helpers (not fixtures) live in tests/support/.

Postgres tests skip when no server answers, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from jobdock.app import Dock
from jobdock.jobs.clock import FakeClock
from jobdock.settings import Settings
from tests.support.documents import MAKERS
from tests.support.web import LiveServer, open_client, settings_for, start_live_server

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
    import tests.support.jobtypes  # noqa: F401 - registers the test job types

    d = await Dock.open(settings)
    try:
        yield d
    finally:
        await d.close()


@pytest.fixture
async def pg_dock(pg_url: str, tmp_path: Path) -> AsyncIterator[Dock]:
    """A dock on Postgres alone (for what only Postgres does)."""
    import tests.support.jobtypes  # noqa: F401 - registers the test job types

    d = await Dock.open(Settings(database_url=pg_url, storage_url=str(tmp_path / "s")))
    try:
        yield d
    finally:
        await d.close()


# ---- engine: a dock on a fake clock -----------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def fake_dock(settings: Settings, clock: FakeClock) -> AsyncIterator[Dock]:
    """A dock whose admin, worker and maintenance all read the fake clock."""
    import tests.support.jobtypes_engine  # noqa: F401 - registers the engine test types

    d = await Dock.open(settings, clock=clock)
    try:
        yield d
    finally:
        await d.close()


# ---- web: the app in-process, and a live server --------------------------------------------
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def web_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path)
    return settings_for(request.getfixturevalue("pg_url"), tmp_path)


@pytest.fixture
async def web_dock(web_settings: Settings) -> AsyncIterator[Dock]:
    dock = await Dock.open(web_settings)
    try:
        yield dock
    finally:
        await dock.close()


@pytest.fixture
async def client(web_dock: Dock) -> AsyncIterator[httpx.AsyncClient]:
    """The app in-process (no worker): for API and page tests."""
    async for c in open_client(web_dock):
        yield c


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The whole system at one address: UI + in-process worker on a temp SQLite file."""
    live = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The UI without a worker: jobs stay where a test puts them."""
    live = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path),
                             worker=None)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def idle_server_any(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """``idle_server`` on each backend (Postgres refuses what SQLite stores, e.g. NUL)."""
    url = f"sqlite:///{tmp_path}/db.sqlite" if request.param == "sqlite" \
        else request.getfixturevalue("pg_url")
    live = start_live_server(settings_for(url, tmp_path), worker=None)
    try:
        yield live
    finally:
        live.stop()


# ---- library: generated document sources -----------------------------------------------
@pytest.fixture(scope="session")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sources")
    out = {}
    for name, make in MAKERS.items():
        make(folder / name)
        out[name] = folder / name
    return out



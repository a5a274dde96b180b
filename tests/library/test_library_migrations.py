"""The library's own store: its migration sequence, and a database from the old layout.

Before the split, the engine's migration ``0002_documents`` created the documents tables.
Such a database must open and work: the library adopts that migration instead of
creating the tables again.
"""

from __future__ import annotations

from jobdock.app import Dock
from jobdock.library.service import DocumentService
from jobdock.library.store.repository import MIGRATIONS, PACKAGE
from jobdock.settings import Settings
from jobdock.store import open_store
from jobdock.store.queries import load_queries, migration_files


def test_both_dialects_define_the_same_library_queries_and_migrations() -> None:
    assert set(load_queries("postgres", PACKAGE)) == set(load_queries("sqlite", PACKAGE))
    assert [v for v, _ in migration_files("postgres", PACKAGE)] == \
        [v for v, _ in migration_files("sqlite", PACKAGE)]


def _library_versions(dock: Dock) -> list[str]:
    """Every library migration, as recorded (later ones come with the library's features)."""
    return [f"library/{v}" for v, _ in migration_files(dock.store.dialect, PACKAGE)]


async def test_a_fresh_database_gets_the_engine_then_the_library(settings: Settings) -> None:
    dock = await Dock.open(settings, migrate=False)
    try:
        engine = [v for v, _ in migration_files(dock.store.dialect)]
        assert engine[0] == "0001_background_jobs"
        assert await dock.migrate() == [*engine, *_library_versions(dock)]
        assert await dock.migrate() == []
        assert await dock.store.migrate() == []  # the engine alone is up to date too
    finally:
        await dock.close()


async def _old_layout_database(url: str) -> None:
    """What the engine's migrator left before the split: 0001 and 0002_documents."""
    store = await open_store(url)
    try:
        await store.migrate()  # the engine's own (0001)
        dialect = store.dialect
        old_sql = dict(migration_files(dialect, PACKAGE))["0001_documents"]
        if dialect == "sqlite":
            from jobdock.store.sqlite.store import _split_statements

            for statement in _split_statements(old_sql):
                await store.execute(statement, {})
            await store.execute("INSERT INTO jobdock_migrations (version, applied_at) "
                                "VALUES ('0002_documents', '2026-11-29T00:00:00.000000Z')", {})
        else:
            await store.execute_in_transaction([
                (old_sql, {}),
                ("INSERT INTO jobdock_migrations (version) VALUES ('0002_documents')", {})])
    finally:
        await store.close()


async def test_a_database_migrated_by_the_old_layout_opens_and_works(
        settings: Settings) -> None:
    await _old_layout_database(settings.resolved_database_url())
    dock = await Dock.open(settings, migrate=False)
    try:
        # adopted, not re-run (re-running would fail: the tables exist)
        assert await dock.migrate() == _library_versions(dock)
        assert MIGRATIONS.adopts == {"0001_documents": "0002_documents"}
        docs = DocumentService.of(dock)
        doc, job = await docs.add("ann", "notes.md", b"# Notes\n\nSome text here.\n")
        assert (await docs.get(doc["id"]))["status"] == "pending"
        assert job.job_type == "process_document"
    finally:
        await dock.close()

"""Open a store from a URL: ``postgresql://…`` or ``sqlite:///path``."""

from __future__ import annotations

from jobdock.store.base import Store, StoreUnavailable


async def open_store(url: str) -> Store:
    if url.startswith(("postgresql://", "postgres://")):
        from jobdock.store.postgres.store import PostgresStore

        return await PostgresStore(url).open()
    if url.startswith("sqlite:///"):
        from jobdock.store.sqlite.store import SqliteStore

        return await SqliteStore(url.removeprefix("sqlite:///")).open()
    raise StoreUnavailable(
        f"unsupported database URL {url!r}: use postgresql://… or sqlite:///path/to/file.db"
    )

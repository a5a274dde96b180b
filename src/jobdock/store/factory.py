"""Open a store from a URL: ``postgresql://…`` or ``sqlite:///path``."""

from __future__ import annotations

from jobdock.store.base import Store, StoreUnavailable


async def open_store(url: str, *, tcp_timeout: float = 30.0) -> Store:
    """``tcp_timeout`` (Postgres): seconds until a dead network path is an outage."""
    if url.startswith(("postgresql://", "postgres://")):
        from jobdock.store.postgres.store import PostgresStore
        from jobdock.store.postgres.tcp import tcp_defaults

        return await PostgresStore(tcp_defaults(url, tcp_timeout)).open()
    if url.startswith("sqlite:///"):
        from jobdock.store.sqlite.store import SqliteStore

        return await SqliteStore(url.removeprefix("sqlite:///")).open()
    raise StoreUnavailable(
        f"unsupported database URL {url!r}: use postgresql://… or sqlite:///path/to/file.db"
    )

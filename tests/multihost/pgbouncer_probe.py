"""What of jobdock's use of Postgres survives PgBouncer's transaction pooling.

Each probe uses client connections through PgBouncer (``via``) and, where it must, one
direct connection. The pool has few server connections, and other clients keep them
busy in between, as a loaded worker fleet would. Returns ``{probe: (works, detail)}``.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg

Result = tuple[bool, str]


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


@contextlib.contextmanager
def _elsewhere(via: str) -> Iterator[None]:
    """Another client holds, in an open transaction, the server connection a client just
    released (PgBouncer hands out the most recently used one first), so that client's
    next transaction runs on a different server connection, as under load."""
    with _connect(via) as holder, holder.transaction():
        holder.execute("SELECT 1")
        yield


def prepared_statements(via: str) -> Result:
    with _connect(via) as conn:
        try:
            conn.execute("SELECT %s::int + 1", (1,), prepare=True)
            with _elsewhere(via):
                conn.execute("SELECT %s::int + 1", (1,), prepare=True)
        except psycopg.Error as exc:
            return False, f"{type(exc).__name__}: {exc}".strip()
    return True, "prepared statements reused across transactions"


def session_settings(via: str) -> Result:
    """``SET`` (the worker's session settings) outlives the transaction on the server
    connection, where the next client gets it, and is lost for the client who set it."""
    with _connect(via) as setter:
        setter.execute("SET enable_sort = off")
        with _elsewhere(via):
            mine = setter.execute("SHOW enable_sort").fetchone()[0]  # type: ignore[index]
    others = []
    for _ in range(4):
        with _connect(via) as other:
            others.append(other.execute("SHOW enable_sort").fetchone()[0])  # type: ignore[index]
    leaked = "off" in others
    kept = mine == "off"
    return kept and not leaked, f"setter still sees {mine!r}; fresh clients see {others}"


def listen_notify(via: str, direct: str) -> Result:
    with _connect(via) as listener, _connect(direct) as sender:
        listener.execute("LISTEN jobdock_probe")
        got: list[str] = []

        def receive() -> None:
            for note in listener.notifies(timeout=3.0, stop_after=1):
                got.append(note.payload)

        thread = threading.Thread(target=receive)
        thread.start()
        time.sleep(0.2)  # the listener must be waiting before the notify goes out
        sender.execute("NOTIFY jobdock_probe, 'hello'")
        thread.join(5)
    return bool(got), f"received {got}" if got else "no notification arrived within 3 s"


def advisory_lock(via: str) -> Result:
    """The migrator's session lock: taken and released in two statements."""
    with _connect(via) as conn:
        conn.execute("SELECT pg_advisory_lock(4242)")
        with _elsewhere(via), warnings_of(conn) as notices:
            released = conn.execute("SELECT pg_advisory_unlock(4242)").fetchone()[0]  # type: ignore[index]
    with _connect(via) as check:
        held = check.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242"
        ).fetchone()[0]  # type: ignore[index]
    return bool(released) and held == 0, \
        f"unlock returned {released}, {held} lock(s) still held {notices}".strip()


def skip_locked_claim(via: str) -> Result:
    """One statement, one transaction: the claim's shape."""
    with _connect(via) as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS q (id int, taken bool DEFAULT false)")
        conn.execute("INSERT INTO q (id) SELECT generate_series(1, 10)")
        rows = conn.execute(
            "WITH n AS (SELECT id FROM q WHERE NOT taken LIMIT 3 FOR UPDATE SKIP LOCKED) "
            "UPDATE q SET taken = true FROM n WHERE q.id = n.id RETURNING q.id").fetchall()
    return len(rows) == 3, f"claimed {len(rows)} of 3 (temp table in one transaction only)"


@contextlib.contextmanager
def warnings_of(conn: psycopg.Connection[Any]):  # type: ignore[no-untyped-def]
    notices: list[str] = []

    def handler(diag: Any) -> None:
        notices.append(diag.message_primary or "")

    conn.add_notice_handler(handler)
    try:
        yield notices
    finally:
        conn.remove_notice_handler(handler)


def probe_all(via: str, direct: str) -> dict[str, Result]:
    return {"prepared statements": prepared_statements(via),
            "session SET": session_settings(via),
            "LISTEN/NOTIFY": listen_notify(via, direct),
            "session advisory lock": advisory_lock(via),
            "claim (UPDATE ... SKIP LOCKED)": skip_locked_claim(via)}

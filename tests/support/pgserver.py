"""A private Postgres server for restart and chaos tests (never the shared one on 5432).

``initdb`` once per test session into a temporary directory owned by ``postgres``; the
server listens on its own port and socket directory, so restarting it disturbs nobody.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def available() -> str | None:
    """Why a private server cannot run here (None when it can)."""
    if not (BIN / "initdb").exists():
        return "no Postgres 15 binaries"
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        return "needs root and runuser to run initdb as postgres"
    return None


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="jobdock-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> PrivatePostgres:
        self.sock.mkdir(parents=True)
        shutil.chown(self.root, "postgres")
        shutil.chown(self.sock, "postgres")
        self._as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "--no-sync")
        return self

    def start(self) -> None:
        # The postmaster inherits stdout: never a pipe (it would hold it open forever).
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-w", "-o", f"-p {self.port} -k {self.sock} -c fsync=off", "start")

    def stop(self, mode: str = "immediate") -> None:
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def private_postgres_fixture():  # type: ignore[no-untyped-def]
    """Build the session fixture (imported by the test modules that restart a server)."""
    import pytest

    @pytest.fixture(scope="session")
    def private_pg():  # type: ignore[no-untyped-def]
        problem = available()
        if problem:
            pytest.skip(f"private Postgres unavailable: {problem}")
        server = PrivatePostgres().init()
        server.start()
        server.wait_ready()
        try:
            yield server
        finally:
            server.destroy()

    return private_pg


def fresh_database(server: PrivatePostgres) -> str:
    """A new empty database on the private server; returns its URL."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"

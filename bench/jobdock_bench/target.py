"""The system under test: a throwaway database, a client, and ONE worker process.

Postgres: a fresh schema ``jobdock_bench_<random>`` in the given database (the client
and the worker reach it through ``search_path`` in the URL), dropped at the end.
SQLite: a file in a temporary directory, deleted at the end.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jobdock.client import AsyncClient
from jobdock_bench.jobs import SINK_ENV

JOBS_MODULE = "jobdock_bench.jobs"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Spec:
    task: str  # "noop" (W1, W2) or "pipeline" (W3)
    i: int  # job index, echoed back through the sink
    t_enq: float  # time.time() just before the enqueue call
    report: bool = False  # pipeline only: report progress at each stage


class WorkerDied(RuntimeError):
    pass


class WorkerProcess:
    """``python -m jobdock.cli.main ... worker`` in its own process group."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self.log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.started = time.time()
        self.proc = subprocess.Popen(argv, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


def with_search_path(url: str, schema: str) -> str:
    return url + ("&" if "?" in url else "?") + "options=" + quote(f"-c search_path={schema}")


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """user + system CPU seconds of a process (all its threads), from /proc; None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


class Target:
    def __init__(self, backend: str, *, postgres_url: str | None = None, concurrency: int = 10,
                 handler: str = "async") -> None:
        if backend not in ("sqlite", "postgres"):
            raise ValueError(f"unknown backend {backend!r}: use sqlite or postgres")
        self.backend = backend
        self.base_url = postgres_url or DEFAULT_POSTGRES_URL
        self.concurrency = concurrency
        self.suffix = "" if handler == "async" else "_sync"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"jobdock-bench-{backend}-"))
        self.schema = f"jobdock_bench_{uuid.uuid4().hex[:8]}"
        self.loop = asyncio.new_event_loop()
        self.client: AsyncClient | None = None
        self.admin: Any = None
        self.url = ""
        # the worker's connections carry this name, so their backends can be found
        self.app_name = f"jdbench_{self.schema[-8:]}"

    # ---- lifecycle --------------------------------------------------------------------
    def setup(self) -> None:
        if self.backend == "postgres":
            import psycopg

            self.admin = psycopg.connect(self.base_url, autocommit=True)
            self.admin.execute(f"CREATE SCHEMA {self.schema}")
            self.url = with_search_path(self.base_url, self.schema)
        else:
            self.url = f"sqlite:///{self.workdir / 'bench.db'}"
        # opening a client migrates the (empty) schema
        self.client = self._run(AsyncClient.connect(self.url, self.storage_url, [JOBS_MODULE]))

    def teardown(self) -> None:
        try:
            if self.client is not None:
                self._run(self.client.close())
            self.loop.close()
        finally:
            if self.admin is not None:
                self.admin.execute(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE")
                self.admin.close()
            shutil.rmtree(self.workdir, ignore_errors=True)

    @property
    def storage_url(self) -> str:
        return str(self.workdir / "storage")

    def server_version(self) -> str | None:
        if self.admin is None:
            return f"SQLite {sqlite3.sqlite_version}"
        row = self.admin.execute("SELECT version()").fetchone()
        return str(row[0]).split(" on ")[0]

    def _run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    # ---- what the workloads call ----------------------------------------------------------
    def reset(self) -> None:
        """Remove every job (before each phase)."""
        if self.admin is not None:
            self.admin.execute(f"TRUNCATE {self.schema}.background_jobs, "
                               f"{self.schema}.background_job_files")
            return
        conn = sqlite3.connect(self.workdir / "bench.db", timeout=30, isolation_level=None)
        try:
            conn.execute("DELETE FROM background_job_files")
            conn.execute("DELETE FROM background_jobs")
        finally:
            conn.close()

    def enqueue(self, specs: Sequence[Spec], batch: bool) -> None:
        """One ``submit`` per job, or one ``submit_many`` for all of ``specs``."""
        client = self.client
        assert client is not None

        def payload(s: Spec) -> dict[str, Any]:
            data: dict[str, Any] = {"i": s.i, "t": s.t_enq}
            if s.task == "pipeline":
                data["report"] = s.report
            return data

        def type_of(s: Spec) -> str:
            return f"bench_{s.task}{self.suffix}"

        if batch:
            news = [client.new_job(type_of(s), payload(s)) for s in specs]
            self._run(client.submit_many(news))
            return

        async def one_by_one() -> None:
            for s in specs:
                await client.submit(type_of(s), payload(s))

        self._run(one_by_one())

    def outstanding(self) -> int:
        assert self.client is not None
        return int(self._run(self.client.dock.store.job_outstanding()))

    def worker_url(self) -> str:
        if self.backend != "postgres":
            return self.url
        return f"{self.url}&application_name={self.app_name}"

    def cpu_snapshot(self, worker: WorkerProcess) -> dict[str, float]:
        """CPU seconds so far of the worker process and of each Postgres backend that
        serves it (keys ``worker`` and ``pg:<pid>``)."""
        snap: dict[str, float] = {}
        own = process_cpu_seconds(worker.proc.pid)
        if own is not None:
            snap["worker"] = own
        if self.admin is not None:
            rows = self.admin.execute("SELECT pid FROM pg_stat_activity "
                                      "WHERE application_name = %s", (self.app_name,)).fetchall()
            for (pid,) in rows:
                cpu = process_cpu_seconds(int(pid))
                if cpu is not None:
                    snap[f"pg:{pid}"] = cpu
        return snap

    def worker_argv(self) -> list[str]:
        return [sys.executable, "-m", "jobdock.cli.main", "--database-url", self.worker_url(),
                "--storage-url", self.storage_url, "--import", JOBS_MODULE,
                "worker", "--concurrency", str(self.concurrency)]

    def start_worker(self, sink: Path) -> WorkerProcess:
        env = dict(os.environ)
        env[SINK_ENV] = str(sink)
        env["PYTHONUNBUFFERED"] = "1"
        return WorkerProcess(self.worker_argv(), env, sink.with_suffix(".worker.log"))

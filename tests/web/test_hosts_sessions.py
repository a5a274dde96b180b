"""DNS rebinding and session revocation (issue 12, defects 4 and 8), on a real server.

A rebinding attack reaches the loopback server under the attacker's own name, with an
Origin that matches it: only a Host allowlist stops it. A login cookie must stop working
once its session logs out, even when replayed by someone who copied it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobdock.web.auth import allowed_hosts, host_name
from tests.support.web import LiveServer, settings_for, start_live_server

TOKEN = "s3cret-token"


@pytest.fixture
def open_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path),
                               worker=None)
    yield server
    server.stop()


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = start_live_server(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path,
                                            token=TOKEN), worker=None)
    yield server
    server.stop()


def test_a_rebound_host_name_is_refused_on_every_method(open_server: LiveServer) -> None:
    port = open_server.url.rsplit(":", 1)[1]
    evil = {"Host": f"attacker.example:{port}", "Origin": f"http://attacker.example:{port}"}
    with httpx.Client(base_url=open_server.url) as http:
        assert http.get("/api/jobs", headers=evil).status_code == 421
        assert http.post("/api/jobs", json={"job_type": "noop"}, headers=evil).status_code == 421
        assert http.get("/events", headers=evil).status_code == 421
        assert http.get("/api/jobs").status_code == 200  # 127.0.0.1 itself still works
        ok = http.get("/api/jobs", headers={"Host": f"localhost:{port}"})
        assert ok.status_code == 200
        created = http.post("/api/jobs", json={"job_type": "noop"},
                            headers={"Host": f"localhost:{port}",
                                     "Origin": f"http://localhost:{port}"})
        assert created.status_code == 201
        assert http.get("/api/jobs?limit=5").json()["jobs"][0]["job_type"] == "noop"


def test_host_names_are_compared_without_port_brackets_or_final_dot() -> None:
    assert host_name("LOCALHOST.:8000") == "localhost"
    assert host_name("[::1]:8000") == "::1"
    assert host_name("::1") == "::1"
    assert allowed_hosts(None) == frozenset({"localhost", "127.0.0.1", "::1"})
    assert allowed_hosts(["jobs.example.org"]) == frozenset({"jobs.example.org"})
    assert allowed_hosts(["*"]) is None


def test_logout_revokes_the_session_even_for_a_copied_cookie(token_server: LiveServer) -> None:
    with httpx.Client(base_url=token_server.url) as browser:
        login = browser.post("/login", data={"token": TOKEN, "next": "/jobs"})
        assert login.status_code == 303
        cookie = browser.cookies.get("jobdock_session")
        assert cookie and TOKEN not in cookie
        assert browser.get("/api/counts").status_code == 200
        assert browser.post("/logout").status_code == 303
    with httpx.Client(base_url=token_server.url, cookies={"jobdock_session": cookie}) as thief:
        assert thief.get("/api/counts").status_code == 401, "a logged-out cookie still works"
        assert thief.get("/jobs").status_code == 303


def test_each_login_gets_its_own_session(token_server: LiveServer) -> None:
    cookies = []
    for _ in range(2):
        with httpx.Client(base_url=token_server.url) as browser:
            browser.post("/login", data={"token": TOKEN, "next": "/"})
            cookies.append(browser.cookies.get("jobdock_session"))
    assert cookies[0] != cookies[1]
    with httpx.Client(base_url=token_server.url, cookies={"jobdock_session": "forged"}) as c:
        assert c.get("/api/counts").status_code == 401

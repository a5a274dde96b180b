"""Access: the admin token (bearer for the API, login cookie for pages) and the bind check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from jobdock.app import Dock
from jobdock.settings import Settings
from jobdock.web.auth import safe_next
from jobdock.web.server import check_exposure, is_loopback
from tests.support.web import open_client, settings_for

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
TOKEN = "s3cret-token"


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    dock = await Dock.open(settings_for(f"sqlite:///{tmp_path}/db.sqlite", tmp_path))
    try:
        async for client in open_client(dock, token=TOKEN):
            yield client
    finally:
        await dock.close()


async def test_api_needs_the_bearer_token(guarded: httpx.AsyncClient) -> None:
    assert (await guarded.get("/api/counts")).status_code == 401
    wrong = await guarded.get("/api/counts", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"]
    ok = await guarded.get("/api/counts", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    assert (await guarded.get("/events")).status_code == 401
    assert (await guarded.get("/partials/dock")).status_code == 401
    assert (await guarded.post("/api/jobs", json={"job_type": "noop"})).status_code == 401


async def test_pages_need_a_login(guarded: httpx.AsyncClient) -> None:
    page = await guarded.get("/jobs")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/jobs"
    login = await guarded.get("/login?next=/jobs")
    assert login.status_code == 200 and 'type="password"' in login.text
    assert "sse-connect" not in login.text  # no event stream before signing in
    assert (await guarded.get("/static/app.css")).status_code == 200
    bad = await guarded.post("/login", data={"token": "nope", "next": "/jobs"})
    assert bad.status_code == 401 and "Wrong token" in bad.text
    good = await guarded.post("/login", data={"token": TOKEN, "next": "/jobs"})
    assert good.status_code == 303 and good.headers["location"] == "/jobs"
    assert TOKEN not in good.headers["set-cookie"]
    assert (await guarded.get("/jobs")).status_code == 200  # the client keeps the cookie
    assert (await guarded.get("/api/counts")).status_code == 200
    out = await guarded.post("/logout")
    assert out.status_code == 303
    assert (await guarded.get("/jobs")).status_code == 303


def test_login_redirects_stay_on_this_site() -> None:
    assert safe_next("/jobs?x=1") == "/jobs?x=1"
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "jobs"):
        assert safe_next(target) == "/"


def test_binding_beyond_loopback_needs_a_token(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    open_settings = Settings(home=tmp_path)
    with pytest.raises(SystemExit) as refused:
        check_exposure(open_settings, "0.0.0.0")
    assert refused.value.code == 2
    message = capsys.readouterr().err.strip()
    assert "JOBDOCK_ADMIN_TOKEN" in message and "\n" not in message
    check_exposure(Settings(home=tmp_path, admin_token=TOKEN), "0.0.0.0")
    check_exposure(open_settings, "127.0.0.1")

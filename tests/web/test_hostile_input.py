"""Hostile input never reaches the database or a traceback (issue 12, defect 7):
non-finite numbers are refused everywhere; search text is literal, not a LIKE pattern."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from tests.support.processes import ROOT

NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.mark.parametrize("number", NON_FINITE)
@pytest.mark.parametrize("field", ["input_data", "metadata"])
async def test_api_refuses_non_finite_numbers(client: httpx.AsyncClient, number: str,
                                              field: str) -> None:
    body = '{"job_type": "noop", "FIELD": {"deep": [1, {"x": NUMBER}]}}'
    body = body.replace("FIELD", field).replace("NUMBER", number)
    answer = await client.post("/api/jobs", content=body,
                               headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert "finite" in answer.json()["detail"]
    assert (await client.get("/api/counts")).json()["pending"] == 0


@pytest.mark.parametrize("number", NON_FINITE)
async def test_form_refuses_non_finite_numbers(client: httpx.AsyncClient, number: str) -> None:
    answer = await client.post("/submit", data={"job_type": "noop",
                                                "input_json": f'{{"x": {number}}}'})
    assert answer.status_code == 422
    assert "finite" in answer.text


@pytest.mark.parametrize("number", ["NaN", "1e400"])
def test_cli_refuses_non_finite_numbers(tmp_path: Path, number: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "s"),
         "submit", "noop", "--input", f'{{"x": {number}}}'],
        capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "finite" in done.stderr


@pytest.mark.parametrize("wildcard", ["%", "_", "\\"])
async def test_search_text_is_literal(client: httpx.AsyncClient, web_dock: Dock,
                                      wildcard: str) -> None:
    await web_dock.admin.submit(NewJob("noop", {"note": "plain"}))
    marked = await web_dock.admin.submit(NewJob("noop", {"note": f"a{wildcard}b"}))
    found = (await client.get("/api/jobs", params={"q": wildcard})).json()["jobs"]
    assert [j["id"] for j in found] == [str(marked.id)]


@pytest.mark.parametrize("url", [
    "/api/annotations/x?user_id=a%00b",          # the fuzzer's find: a 500 on Postgres
    "/api/documents?user_id=%00",
    "/api/documents/abc%00def",
    "/api/library/documents/d%00/connections",
    "/api/integrations/settings?user_id=%ED%A0%80",  # a lone surrogate, not UTF-8
    "/library?q=%FF",                                 # bytes that are not UTF-8
    "/jobs?search=a%00",
])
async def test_text_no_database_can_store_is_refused_in_any_url(client: httpx.AsyncClient,
                                                                 url: str) -> None:
    for method in ("GET", "DELETE"):
        answer = await client.request(method, url)
        assert answer.status_code == 422, (method, url, answer.status_code)
        assert "NUL" in answer.json()["detail"] or "valid" in answer.json()["detail"]


@pytest.mark.parametrize(("url", "body"), [
    ("/api/documents/export", {"document_ids": ["\x00"], "user_id": "u"}),  # fuzzer: 500
    ("/api/documents/export", {"document_ids": ["a"], "user_id": "\ud800"}),
    ("/api/integrations/settings", {"vault_name": "a\x00b"}),
    ("/api/library/connections/c1/review", {"value": True, "\x00": 1}),
])
async def test_text_no_database_can_store_is_refused_in_any_json_body(
        client: httpx.AsyncClient, url: str, body: dict[str, object]) -> None:
    raw = json.dumps(body).encode()  # json.dumps escapes them: \\u0000, \\ud800
    for method in ("POST", "PUT"):
        answer = await client.request(method, url, content=raw,
                                      headers={"Content-Type": "application/json"})
        assert answer.status_code == 422, (method, url, answer.status_code, answer.text)
        assert "NUL" in answer.json()["detail"] or "valid" in answer.json()["detail"]


async def test_a_clean_json_body_reaches_the_route_unchanged(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/jobs", json={"job_type": "noop", "input_data": {"é": "ü"}})
    assert answer.status_code == 201 and answer.json()["input_data"] == {"é": "ü"}

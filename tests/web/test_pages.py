"""Pages, partials and form actions: rendering, escaping, confirmation, htmx answers."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from markupsafe import escape

from jobdock.app import Dock
from tests.support.web import submit

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
HX = {"HX-Request": "true"}


async def test_jobs_tab_shows_counts_filters_and_every_type_label(client: httpx.AsyncClient,
                                                                  web_dock: Dock) -> None:
    await submit(client, "staged_sleep", metadata={"title": "A long book"})
    page = await client.get("/jobs")
    assert page.status_code == 200
    html = page.text
    for job_type in web_dock.registry.all():
        # labels are HTML-escaped (an extension's "Counting a note's words")
        assert f'value="{job_type.name}"' in html and str(escape(job_type.label)) in html
    assert 'value="active"' in html and "Clear completed" in html and "Clear failed" in html
    assert "A long book" in html and 'id="counts"' in html
    assert (await client.get("/")).status_code == 200


async def test_error_messages_with_html_show_as_text(client: httpx.AsyncClient,
                                                     web_dock: Dock) -> None:
    job_id = (await submit(client, "noop", metadata={"title": "<b>bold</b>"}))["id"]
    await web_dock.admin.force_fail_job(job_id, message="<script>alert('x')</script> broke")
    for url in (f"/jobs/{job_id}", "/jobs", f"/partials/job/{job_id}", "/partials/jobs"):
        html = (await client.get(url)).text
        assert "<script>alert" not in html and "<b>bold</b>" not in html, url
        assert "&lt;b&gt;bold&lt;/b&gt;" in html, url
    detail = (await client.get(f"/jobs/{job_id}")).text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; broke" in detail


async def test_job_detail_shows_timeline_retry_and_pause_history(client: httpx.AsyncClient,
                                                                 web_dock: Dock) -> None:
    job_id = (await submit(client, "staged_sleep", max_retries=5))["id"]
    await client.post(f"/api/jobs/{job_id}/pause")
    await client.post(f"/api/jobs/{job_id}/resume")
    html = (await client.get(f"/jobs/{job_id}")).text
    assert "part1" in html and "part8" in html and "to do" in html
    assert "1 of 6" in html and "Paused from the API" in html  # attempt 1 of 1 + 5 retries
    assert "(1 time)" in html
    assert 'data-action="pause"' in html and 'data-action="resume"' not in html


async def test_job_detail_actions_depend_on_status(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    await client.post(f"/api/jobs/{job_id}/fail")
    html = (await client.get(f"/jobs/{job_id}")).text
    assert 'data-action="retry"' in html and 'data-action="cancel"' in html
    assert 'data-action="pause"' not in html and 'data-action="fail"' not in html


async def test_unknown_and_malformed_job_pages(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"/jobs/{uuid.uuid4()}")
    assert missing.status_code == 404 and "Not found" in missing.text
    assert (await client.get("/jobs/zzz")).status_code == 422
    gone = await client.get(f"/partials/job/{uuid.uuid4()}")
    assert gone.status_code == 200 and "Job deleted" in gone.text


async def test_htmx_action_answers_204_with_events(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    response = await client.post(f"/jobs/{job_id}/pause", headers=HX)
    assert response.status_code == 204
    trigger = json.loads(response.headers["HX-Trigger"])
    assert trigger["jobs-changed"] and trigger["notice"] == "Paused."
    conflict = await client.post(f"/jobs/{job_id}/pause", headers=HX)
    assert conflict.status_code == 409 and "paused" in conflict.json()["detail"]


async def test_plain_form_action_redirects(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    response = await client.post(f"/jobs/{job_id}/pause")
    assert response.status_code == 303 and response.headers["location"] == f"/jobs/{job_id}"
    assert (await client.post(f"/jobs/{job_id}/explode")).status_code == 422


async def test_destructive_actions_ask_for_confirmation(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    ask = await client.post(f"/jobs/{job_id}/cancel")
    assert ask.status_code == 200 and "Are you sure?" in ask.text
    assert (await client.get(f"/api/jobs/{job_id}")).status_code == 200
    ask_clear = await client.post("/jobs/clear", data={"status": "failed"})
    assert "Are you sure?" in ask_clear.text
    done = await client.post(f"/jobs/{job_id}/cancel", data={"confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"] == "/jobs"
    assert (await client.get(f"/api/jobs/{job_id}")).status_code == 404


async def test_cancel_from_its_own_page_leaves_it(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    headers = {**HX, "HX-Current-URL": f"http://testserver/jobs/{job_id}"}
    response = await client.post(f"/jobs/{job_id}/cancel", data={"confirmed": "1"},
                                 headers=headers)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/jobs"


async def test_clear_form(client: httpx.AsyncClient) -> None:
    job_id = (await submit(client))["id"]
    await client.post(f"/api/jobs/{job_id}/fail")
    response = await client.post("/jobs/clear", data={"status": "failed", "confirmed": "1"},
                                 headers=HX)
    assert json.loads(response.headers["HX-Trigger"])["notice"] == "Cleared 1 failed job."
    bad = await client.post("/jobs/clear", data={"status": "everything", "confirmed": "1"})
    assert bad.status_code == 422


async def test_submit_form(client: httpx.AsyncClient) -> None:
    form = {"job_type": "staged_sleep", "input_json": '{"stages": 2}', "user_id": "ann"}
    response = await client.post("/submit", data=form)
    assert response.status_code == 303
    job = (await client.get("/api" + response.headers["location"])).json()
    assert job["input_data"] == {"stages": 2} and job["user_id"] == "ann"
    page = await client.get("/submit")
    assert "Staged sleep" in page.text


@pytest.mark.parametrize("input_json, fragment", [("{oops", "not valid JSON"),
                                                  ("[1]", "JSON object")])
async def test_submit_form_shows_bad_input(client: httpx.AsyncClient, input_json: str,
                                           fragment: str) -> None:
    response = await client.post("/submit", data={"job_type": "noop", "input_json": input_json})
    assert response.status_code == 422 and fragment in response.text
    assert input_json.replace('"', "&#34;") in response.text  # the form keeps what was typed


async def test_dock_partial(client: httpx.AsyncClient) -> None:
    empty = (await client.get("/partials/dock")).text
    assert "View all jobs" in empty and "dock-job" not in empty
    job_id = (await submit(client, "staged_sleep", metadata={"title": "Moby Dick"}))["id"]
    html = (await client.get("/partials/dock")).text
    assert "1 active job" in html and "Moby Dick" in html and job_id in html
    assert 'data-action="pause"' in html and 'data-action="cancel"' in html


async def test_table_partial_pushes_the_filter_url(client: httpx.AsyncClient) -> None:
    await submit(client, "noop", user_id="ann")
    response = await client.get("/partials/jobs", params={"user": "ann", "type": "noop"},
                                headers={**HX, "HX-Trigger": "filters"})
    assert response.headers["HX-Push-Url"] == "/jobs?type=noop&user=ann"
    assert (await client.get("/partials/jobs", params={"status": "x"})).status_code == 422
    counts = await client.get("/partials/counts")
    assert counts.status_code == 200 and "pending" in counts.text

"""Real headless Chromium against a real server with an in-process worker.

Every wait is a deadline on a condition (Playwright's ``expect``/``wait_for_function``).
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from jobdock.app import Dock
from tests.support.web import SLOW_SLEEP, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SOON = 5_000  # ms: a change reaches a page within 1 s; leave room for a slow machine


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # hx-confirm
    yield page
    context.close()


def progress_of(page: Page, selector: str) -> float:
    return float(page.locator(selector).get_attribute("aria-valuenow") or 0)


def test_dock_follows_a_job_through_pause_resume_and_completion(live_server: LiveServer,
                                                               page: Page) -> None:
    page.goto(live_server.url + "/submit")
    page.select_option("#job_type", "staged_sleep")
    page.fill("#input_json", '{"stages": 4, "steps_per_stage": 20, "step_seconds": 0.1, '
                             '"title": "The Annotated Moby Dick"}')
    page.click("#submit-job")
    page.wait_for_url("**/jobs/*")
    job_id = page.url.rsplit("/", 1)[1]

    page.goto(live_server.url + "/jobs")
    dock_job = page.locator(f'.dock-job[data-job-id="{job_id}"]')
    expect(dock_job).to_be_visible(timeout=SOON)
    expect(dock_job).to_have_attribute("data-status", "processing", timeout=SOON)
    expect(page.locator("#live-state")).to_have_text("live", timeout=SOON)

    bar = f'.dock-job[data-job-id="{job_id}"] [role=progressbar]'
    start = progress_of(page, bar)
    page.wait_for_function(
        "([sel, v]) => Number(document.querySelector(sel)?.getAttribute('aria-valuenow')) > v",
        arg=[bar, start], timeout=SOON)  # advances without a reload
    expect(dock_job.locator(".dot.live")).to_be_visible(timeout=SOON)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#dock-shell").screenshot(path=str(ARTIFACTS / "dock-expanded.png"))

    page.click("[data-dock-toggle] >> nth=-1")  # collapse; the state survives a reload
    expect(page.locator(".dock-toggle")).to_contain_text("1 active job")
    page.reload()
    expect(page.locator(".dock-toggle")).to_be_visible(timeout=SOON)
    expect(page.locator(".dock-panel")).to_be_hidden()
    page.click(".dock-toggle")
    expect(dock_job).to_be_visible()

    dock_job.locator('[data-action="pause"]').click()
    expect(dock_job).to_have_attribute("data-status", "paused", timeout=SOON)
    row = page.locator(f'tr[data-job-id="{job_id}"]')
    expect(row).to_have_attribute("data-status", "paused", timeout=SOON)

    dock_job.locator('[data-action="resume"]').click()
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
    expect(page.locator(".dock-job")).to_have_count(0, timeout=SOON)
    expect(page.locator(".dock-panel")).to_have_count(0)
    expect(page.locator(".dock-empty")).to_be_visible()

    page.goto(f"{live_server.url}/jobs/{job_id}")
    expect(page.locator(".timeline .stage-done")).to_have_count(4)
    expect(page.locator("#detail-percent")).to_have_text("100.0%")
    expect(page.locator(".facts")).to_contain_text("1 time")
    page.screenshot(path=str(ARTIFACTS / "job-detail.png"), full_page=True)


def test_list_filters_narrow_the_results(idle_server: LiveServer, page: Page) -> None:
    with httpx.Client(base_url=idle_server.url) as api:
        for i in range(3):
            api.post("/api/jobs", json={"job_type": "noop", "user_id": "ann",
                                        "entity_id": f"note-{i}"})
        sleepy = [api.post("/api/jobs", json={"job_type": "staged_sleep", "user_id": "bob",
                                              "input_data": SLOW_SLEEP}).json()["id"]
                  for _ in range(2)]
        api.post(f"/api/jobs/{sleepy[0]}/pause")
        types = api.get("/api/job-types").json()

    page.goto(idle_server.url + "/jobs")
    rows = page.locator("table.jobs tbody tr")
    expect(rows).to_have_count(5)
    options = page.locator("#filter-type option").all_inner_texts()
    assert options[:2] == ["All types", "Active"]
    assert {t["label"] for t in types} <= set(options)

    page.select_option("#filter-type", "noop")
    expect(rows).to_have_count(3, timeout=SOON)
    assert "type=noop" in page.url
    page.select_option("#filter-type", "")
    page.fill("#filter-user", "bob")
    expect(rows).to_have_count(2, timeout=SOON)
    page.select_option("#filter-status", "paused")
    expect(rows).to_have_count(1, timeout=SOON)
    expect(rows.first).to_have_attribute("data-job-id", sleepy[0])
    page.select_option("#filter-status", "")
    page.fill("#filter-user", "")
    page.fill("#filter-q", "note-1")
    expect(rows).to_have_count(1, timeout=SOON)
    page.fill("#filter-q", "")
    page.select_option("#filter-type", "active")
    expect(rows).to_have_count(5, timeout=SOON)
    page.screenshot(path=str(ARTIFACTS / "jobs-tab.png"), full_page=True)


async def _fail_with(settings: object, job_id: str, message: str) -> None:
    dock = await Dock.open(settings)  # type: ignore[arg-type]
    try:
        await dock.admin.force_fail_job(job_id, message=message)
    finally:
        await dock.close()


def test_an_error_with_script_shows_as_text(idle_server: LiveServer, page: Page) -> None:
    with httpx.Client(base_url=idle_server.url) as api:
        job_id = api.post("/api/jobs", json={"job_type": "noop"}).json()["id"]
    evil = "<script>window.__owned = 1</script><img src=x onerror='window.__owned = 2'>"
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
        pool.submit(lambda: asyncio.run(_fail_with(idle_server.settings, job_id, evil))).result()

    page.goto(f"{idle_server.url}/jobs/{job_id}")
    expect(page.locator("#error-message")).to_have_text(evil)
    page.goto(idle_server.url + "/jobs")
    expect(page.locator(f'tr[data-job-id="{job_id}"]')).to_contain_text("<script>")
    assert page.evaluate("window.__owned") is None

"""Issue 14, item 8 (and 7): layout in real Chromium at desktop and phone sizes.

The processing dock never covers the job detail page's cards at any scroll position, the
jobs page never scrolls sideways, and /docs renders with the network beyond this machine
cut off. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.support.web import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SIZES = {"desktop": (1360, 900), "phone": (390, 844)}
# The pill's box once it is laid out (between two of the dock's refreshes).
PILL_BOX = """() => {
  const el = document.querySelector('.dock-empty');
  const r = el && el.getBoundingClientRect();
  return r && r.height > 0 ? {x: r.x, y: r.y, width: r.width, height: r.height} : null;
}"""
LONG_ERROR = "Traceback: the remote service answered 503 Service Unavailable. " * 6


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(SIZES))
def sized_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    width, height = SIZES[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    yield request.param, context.new_page()
    context.close()


def seed(server: LiveServer) -> str:
    """Five pending jobs (the dock is full) and a failed one with a long error; its id."""
    with httpx.Client(base_url=server.url) as http:
        for n in range(5):
            body = {"job_type": "staged_sleep", "metadata": {"title": f"Pending book {n}"}}
            assert http.post("/api/jobs", json=body).status_code == 201
        failed = http.post("/api/jobs", json={
            "job_type": "staged_sleep", "input_data": {"stages": 3, "note": "x" * 300},
            "metadata": {"title": "A book whose processing failed"}}).json()["id"]
        assert http.post(f"/api/jobs/{failed}/fail").status_code == 200
    return str(failed)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def covered_cards(page: Page) -> list[str]:
    dock = page.locator("#dock-shell").bounding_box()
    assert dock is not None and dock["height"] > 0
    hits = []
    for i, card in enumerate(page.locator("#job-detail .card").all()):
        box = card.bounding_box()
        if box and overlaps(dock, box):
            hits.append(f"card {i} ({card.locator('h2, h1').first.inner_text()})")
    return hits


def test_dock_never_covers_the_detail_cards(idle_server: LiveServer,
                                            sized_page: tuple[str, Page]) -> None:
    size, page = sized_page
    failed = seed(idle_server)
    page.goto(f"{idle_server.url}/jobs/{failed}")
    expect(page.locator(".dock-job")).to_have_count(5)
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 100, 100):
        page.evaluate(f"window.scrollTo(0, {y})")
        assert covered_cards(page) == [], f"at scroll {y} ({size})"
    page.evaluate("window.scrollTo(0, 0)")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-detail-{size}.png"), full_page=True)


def test_jobs_page_has_no_horizontal_overflow(idle_server: LiveServer,
                                              sized_page: tuple[str, Page]) -> None:
    size, page = sized_page
    seed(idle_server)
    page.goto(f"{idle_server.url}/jobs")
    expect(page.locator("tr[data-job-id]")).to_have_count(6)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-jobs-{size}.png"), full_page=True)
    assert overflow <= 0, f"{size}: the page is {overflow}px wider than the screen"


def test_api_docs_render_offline(idle_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    outside: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(idle_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.goto(f"{idle_server.url}/docs")
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("jobdock")
    expect(page.locator(".opblock").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-docs-offline.png"))
    context.close()
    assert outside == []


def test_submit_form_follows_the_chosen_type(idle_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{idle_server.url}/submit")
    box = page.locator("#input_json")
    expect(box).to_have_value(re.compile(r'"stages": 8'))
    expect(page.locator('[data-input-for="staged_sleep"]')).to_be_visible()
    page.select_option("#job_type", "noop")
    expect(box).to_have_value("{}")
    expect(page.locator('[data-input-for="noop"]')).to_contain_text("no input model")
    expect(page.locator('[data-input-for="staged_sleep"]')).to_be_hidden()
    page.select_option("#job_type", "staged_sleep")
    box.fill('{"stages": "x"}')
    page.click("#submit-job")
    expect(page.locator(".form-error")).to_contain_text("invalid input for staged_sleep")
    context.close()


def test_view_all_pill_never_floats_over_rows(idle_server: LiveServer,
                                              sized_page: tuple[str, Page]) -> None:
    size, page = sized_page
    with httpx.Client(base_url=idle_server.url) as http:
        for _ in range(12):
            job = http.post("/api/jobs", json={"job_type": "noop"}).json()["id"]
            assert http.post(f"/api/jobs/{job}/fail").status_code == 200
    page.goto(f"{idle_server.url}/jobs")
    pill = page.locator(".dock-empty")
    expect(pill).to_be_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    for y in range(0, height + 100, 150):
        page.evaluate(f"window.scrollTo(0, {y})")
        box = page.wait_for_function(PILL_BOX).json_value()  # the dock re-renders itself
        rows = [r.bounding_box() for r in page.locator("tr[data-job-id]").all()]
        assert not any(r and overlaps(box, r) for r in rows), f"at scroll {y} ({size})"


def test_library_page_fits_a_phone(idle_server: LiveServer, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    with httpx.Client(base_url=idle_server.url) as http:
        for n in range(3):
            name = f"chapter-{n}-with-a-rather-long-file-name.md"
            files = {"file": (name, b"# Title\n\nText.\n")}
            assert http.post("/api/documents", files=files).status_code == 201
    page.goto(f"{idle_server.url}/library")
    expect(page.locator("tr[data-document-id]")).to_have_count(3)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "layout-library-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # each card's cells keep their places: the chunk count on one line (a column added
    # in front once pushed it into a 1-letter-wide cell), the export box below
    row = page.locator("tr[data-document-id]").first
    assert row.locator("td:nth-child(5)").bounding_box()["height"] < 30
    expect(row.locator("td.export-pick input")).to_be_visible()
    context.close()


def _wait_processed(server: LiveServer, doc_id: str) -> None:
    import time
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=server.url) as http:
        while time.monotonic() < deadline:
            if http.get(f"/api/documents/{doc_id}").json()["status"] == "completed":
                return
            time.sleep(0.1)  # polling with a deadline, not a fixed wait
    raise AssertionError("the document was not processed in 60 s")


def _wait_connections(http: httpx.Client, doc_id: str) -> None:
    import time
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if http.get(f"/api/library/documents/{doc_id}/connections").json()["connections"]:
            return
        time.sleep(0.1)  # polling with a deadline
    raise AssertionError("no connection was detected in 60 s")


def test_every_page_fits_a_phone_without_console_errors(live_server: LiveServer,
                                                        browser: Browser) -> None:
    """Each page of the nav, a job and a document (with its text), on a phone: nothing
    scrolls sideways (wide tables scroll inside themselves) and the console stays clean
    (a missing favicon once logged a 404 on every first visit)."""
    # two near-identical documents (so they connect), with a long unbreakable token
    text = ("# A long title for a document\n\n" + "Some words of prose here. " * 200 +
            "See https://example.org/" + "a-long-path-segment/" * 12 + " for more.\n")
    with httpx.Client(base_url=live_server.url) as http:
        ids = [http.post("/api/documents", files={"file": (f"notes-{n}.md", text.encode())})
               .json()["document"]["id"] for n in range(2)]
        for doc_id in ids:
            _wait_processed(live_server, doc_id)
        doc_id = ids[0]
        _wait_connections(http, doc_id)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/")
    nav = [a.get_attribute("href") for a in page.locator(".topbar nav a").all()]
    paths = [p for p in nav if p and p.startswith("/") and not p.startswith("/docs")]
    paths += [f"/library/documents/{doc_id}", f"/library/documents/{doc_id}/text"]
    assert "/workers" in paths and "/library" in paths
    wide = {}
    for path in paths:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide[path] = overflow
            ARTIFACTS.mkdir(exist_ok=True)
            name = path.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(ARTIFACTS / f"layout-phone-{name}.png"), full_page=True)
    context.close()
    assert wide == {}, f"pages wider than the phone (px): {wide}"
    assert errors == []

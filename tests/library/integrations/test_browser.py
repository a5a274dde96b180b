"""Real Chromium: import Readwise highlights, decide the review queue, see the highlight."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.library.integrations.support import PARAGRAPHS, book_markdown
from tests.support.web import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SOON = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _wait_job(http: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = http.get(f"/api/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed"):
            assert job["status"] == "completed", job.get("error_message")
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)  # polling with a deadline
    raise AssertionError(f"job {job_id} did not finish")


def _export(title: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Highlight", "Book Title", "Book Author", "Note", "Color"])
    writer.writerow([PARAGRAPHS[0][:60], title, "A", "exact one", "yellow"])
    writer.writerow([PARAGRAPHS[3][:70].replace("territory", "terrain"), title, "A",
                     "fuzzy one", "blue"])
    writer.writerow([PARAGRAPHS[5][:70].replace("prunes in winter", "pruned in winters"),
                     title, "A", "fuzzy two", "green"])
    return out.getvalue().encode()


def test_review_queue_and_highlights_on_the_document_page(live_server: LiveServer,
                                                          browser: Browser) -> None:
    title = "Stone and River"
    with httpx.Client(base_url=live_server.url, timeout=30) as http:
        up = http.post("/api/documents", files={"file": ("stone.md",
                                                         book_markdown(title).encode())})
        assert up.status_code == 201, up.text
        doc_id = up.json()["document"]["id"]
        _wait_job(http, up.json()["job"]["id"])
        imp = http.post("/api/integrations/readwise/import",
                        files={"file": ("export.csv", _export("stone"))},
                        data={"document_id": doc_id})
        assert imp.status_code == 201, imp.text
        out = _wait_job(http, imp.json()["id"])["output_data"]
        assert (out["imported"], out["needsReview"]) == (1, 2)

    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page: Page = context.new_page()
    try:
        page.goto(live_server.url + "/review")
        rows = page.locator("tr.review-entry")
        expect(rows).to_have_count(2, timeout=SOON)
        first_id = rows.nth(0).get_attribute("data-review-id")
        accepted_text = rows.nth(0).locator(".review-suggested").inner_text().split("\n")[0]
        rows.nth(0).locator("button.review-accept").click()
        expect(page.locator(".flash")).to_contain_text("Accepted", timeout=SOON)
        expect(page.locator("tr.review-entry")).to_have_count(1, timeout=SOON)
        page.locator("tr.review-entry button.review-reject").click()
        expect(page.locator(".flash")).to_contain_text("Rejected", timeout=SOON)
        expect(page.locator("#review-empty")).to_be_visible(timeout=SOON)
        page.goto(live_server.url + "/review?status=all")
        expect(page.locator(f'tr[data-review-id="{first_id}"]')).to_contain_text("accepted")

        page.goto(f"{live_server.url}/library/documents/{doc_id}/text")
        marks = page.locator("#document-text mark.hl")
        expect(marks).to_have_count(2, timeout=SOON)
        expect(page.locator('#document-text mark[data-source="readwise"]').first).to_be_visible()
        texts = " ".join(marks.all_inner_texts())
        assert PARAGRAPHS[0][:60] in " ".join(texts.split())
        assert " ".join(accepted_text.split())[:40] in " ".join(texts.split())
        page.screenshot(path=str(_artifacts() / "integrations-document.png"))
    finally:
        context.close()


def _artifacts() -> Path:
    path = Path(__file__).resolve().parents[3] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path

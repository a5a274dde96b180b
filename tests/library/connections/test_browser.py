"""Real Chromium: open a document in the Library, see its connections, validate one,
change the weighting preset and watch the order change."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from jobdock.app import Dock
from tests.library.connections.stored import completed, run_job, store_corpus
from tests.support.web import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
SOON = 5_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _prepare(live: LiveServer) -> None:
    async def go() -> None:
        dock = await Dock.open(live.settings)
        try:
            await store_corpus(dock)
            for doc in ("wage-raise-helps", "wage-raise-hurts"):
                completed(await run_job(dock, "detect_connections", {}, doc))
        finally:
            await dock.close()

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
        pool.submit(asyncio.run, go()).result()


def _order(page: Page) -> list[str]:
    return page.locator("#ranked > li").evaluate_all(
        "items => items.map(i => i.dataset.connectionId)")


def test_read_a_document_validate_a_connection_and_rerank(idle_server: LiveServer,
                                                          browser: Browser) -> None:
    _prepare(idle_server)
    page = browser.new_page(viewport={"width": 1360, "height": 900})
    try:
        page.goto(idle_server.url + "/library")
        page.get_by_role("link", name="wage raise helps").click()
        expect(page.locator("h1")).to_have_text("wage raise helps")
        expect(page.locator("#chunk-0")).to_contain_text("good for employment")
        ranked = page.locator("#ranked > li")
        expect(ranked.first).to_be_visible(timeout=SOON)
        balanced = _order(page)
        assert len(balanced) >= 5
        expect(page.locator("#engine-contradiction_detection li").first).to_contain_text(
            "opposing stances")

        first = ranked.first
        chosen = first.get_attribute("data-connection-id")
        first.locator("button.validate").click()
        validated = page.locator(f'#ranked > li[data-connection-id="{chosen}"]')
        expect(validated.locator(".review-state")).to_have_text("validated", timeout=SOON)

        # balanced already puts the contradictions first (weight 0.40 x ~0.64 beats
        # 0.25 x ~0.9); thematic-focus weighs both engines 0.15, so similarity leads
        page.select_option("#preset", "thematic-focus")
        expect(page.locator("#preset")).to_have_value("thematic-focus", timeout=SOON)
        page.wait_for_url("**preset=thematic-focus**")
        focus = _order(page)
        assert sorted(focus) == sorted(balanced) and focus != balanced
        page.select_option("#preset", "semantic-only")
        page.wait_for_url("**preset=semantic-only**")
        expect(page.locator("#ranked > li[data-engine='contradiction_detection']")) \
            .to_have_count(0)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "library-document.png"), full_page=True)
    finally:
        page.close()

"""Every page renders its templates, not their source: no Jinja syntax reaches the browser,
and each template file is a plausible size (a botched edit once repeated a section between
every character of the integrations page, 3.5 MB of template source sent per request)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import jinja2
import pytest

import jobdock

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
SOURCE_ROOT = Path(jobdock.__file__).parent
TEMPLATES = sorted(SOURCE_ROOT.rglob("templates/*.html"))
JINJA_SYNTAX = re.compile(r"\{%|%\}|\{\{|\}\}|\{#")


def test_templates_are_found() -> None:
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(SOURCE_ROOT)))
def test_template_parses_and_is_a_plausible_size(path: Path) -> None:
    text = path.read_text()
    assert len(text) < 40_000, f"{path.name} is {len(text):,} characters"
    jinja2.Environment().parse(text)  # raises on a syntax error


HREF = re.compile(r'href="(/[^"#?]*)')
SKIP = ("/api", "/static", "/docs", "/openapi", "/redoc", "/events", "/metrics", "/logout")


async def test_no_page_sends_template_source(client: httpx.AsyncClient) -> None:
    """Crawl from the home page through every same-site link, as a visitor would."""
    seen: set[str] = set()
    queue = ["/"]
    while queue and len(seen) < 80:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        answer = await client.get(path)
        if "text/html" not in answer.headers.get("content-type", ""):
            continue
        assert answer.status_code == 200, path
        assert len(answer.content) < 200_000, f"{path}: {len(answer.content):,} bytes"
        leaked = JINJA_SYNTAX.search(answer.text)
        assert leaked is None, f"{path}: {answer.text[leaked.start() - 80:leaked.end() + 80]!r}"
        queue += [h for h in HREF.findall(answer.text) if not h.startswith(SKIP)]
    assert {"/jobs", "/library", "/integrations"} <= seen

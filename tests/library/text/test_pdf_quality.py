"""PDF text people can trust: each test reproduces one defect seen on real manuals."""

from __future__ import annotations

import re

import pytest

from jobdock.library.text import chunk_markdown, cleanup, cleanup_with_pages, extract
from jobdock.library.text.model import Page
from tests.fixtures import pdf_cases


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pdf") / "manual.pdf"
    pdf_cases.make_manual(path)
    extracted = extract(path.read_bytes(), path.name)
    return cleanup_with_pages(extracted.pages, kind=extracted.format)[0]


def headings(markdown: str) -> list[str]:
    return re.findall(r"^#+ (.*)$", markdown, re.MULTILINE)


def test_a_code_comment_does_not_turn_the_pdf_into_markdown(manual: str) -> None:
    assert "my personal functions" not in " ".join(headings(manual))
    assert "and a shell prompt" not in " ".join(headings(manual))
    assert manual.count("my personal functions") == 6  # kept as text
    chunks = chunk_markdown(manual)
    assert not any("my personal functions" in p for c in chunks for p in c.heading_path)


def test_every_outline_entry_is_a_heading_even_in_the_body_font(manual: str) -> None:
    found = headings(manual)
    for number, (title, sections) in enumerate(pdf_cases.CHAPTERS, start=1):
        assert f"{number} {title}" in found
        for part, section in enumerate(sections, start=1):
            assert f"{number}.{part} {section}" in found
    assert len(found) == sum(1 + len(s) for _, s in pdf_cases.CHAPTERS)


def test_running_heads_that_change_per_chapter_are_removed(manual: str) -> None:
    assert not re.search(r"Chapter \d:", manual), "a running head survived"


def test_a_running_head_seen_once_goes_by_its_page_number() -> None:
    """Pages of text with no positions (no ``kind``): the text rules find furniture."""
    body = ("Text that differs on every page, number {n}, and goes on long enough to "
            "look like a line of body text.")
    pages = [Page(n, f"Chapter {1 + n // 3}: Part {n // 3} {n + 10}\n{body.format(n=n)}\n"
                     f"{body.format(n=n * 7)} {'x' * n}")
             for n in range(1, 8)]
    pages.append(Page(8, f"Appendix A: Alone 18\n{body.format(n=99)}"))
    markdown = cleanup(pages)
    assert "Chapter" not in markdown and "Appendix A: Alone" not in markdown


def test_hyphenation_joins_split_words_and_keeps_compounds_and_options(manual: str) -> None:
    assert "information about the session" in manual
    assert "camera-ready" in manual and "cameraready" not in manual
    assert "--no-site-file" in manual and "--nosite" not in manual
    assert "marked OPTIONAL may" in manual
    assert not re.search(r"\w- \w", manual)


def test_words_placed_without_space_characters_stay_apart(manual: str) -> None:
    assert "The procedures discussed within include how to become a member" in manual


def test_table_of_contents_dot_leaders_are_dropped(manual: str) -> None:
    assert ". . . ." not in manual and "...." not in manual
    assert "1 Introduction and preliminaries 4" in manual


def test_sphinx_pilcrows_leave_headings() -> None:
    html = ("<html><body><h1>The range() Function<a class='headerlink' href='#r'>\u00b6</a>"
            "</h1><p>Text.</p><h2>More \u00b6</h2><p>Body.</p></body></html>")
    document = extract(html.encode(), "page.html")
    markdown = cleanup_with_pages(document.pages, kind=document.format)[0]
    assert headings(markdown) == ["The range() Function", "More"]


def test_epub_footnote_labels_at_a_chapter_end_are_kept() -> None:
    chapters = [Page(n, f"# Chapter {n}\n\nText of chapter {n} with a note.\n\n{n}\n\n"
                        f"The note of chapter {n}.\n\n1") for n in range(1, 5)]
    markdown = cleanup(chapters, kind="epub")
    assert sum(line == "1" for line in markdown.split("\n")) == 5  # 4 labels + note 1
    assert all(f"\n{n}\n" in markdown for n in range(2, 5))


def test_front_matter_running_heads_with_roman_page_numbers_go() -> None:
    roman = ["ii", "iii", "iv", "v", "vi", "vii"]
    pages = [Page(n, f"draft\nprinted on Tuesday\nDebian Reference {r}\nEntry {n} of the list "
                     f"of tables, different on each page ({'x' * n}).")
             for n, r in enumerate(roman, start=1)]
    markdown = cleanup(pages)  # text with no positions: the text rules
    assert "Debian Reference" not in markdown and "draft" not in markdown
    assert markdown.count("Entry") == 6


def test_shortened_bookmarks_find_their_headings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    from tests.fixtures.make_fixtures import FIXED_DATE

    pdf = FPDF()
    pdf.set_creation_date(FIXED_DATE)
    for number, (bookmark, heading) in enumerate(
            [("Summary", "Summary"), ("Tree structure", "Tree structure of bookmarks"),
             ("Font encoding mechanism of LaTeX", "Font encoding mechanism"),
             ("2 Strings", "2 Strings in TeX and PDF")], start=1):
        pdf.add_page()
        pdf.start_section(bookmark)
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in range(8):
            pdf.cell(0, 5, f"Body line {line} of slide {number} says something plain.",
                     new_x="LMARGIN", new_y="NEXT")
    path = tmp_path / "slides.pdf"
    path.write_bytes(bytes(pdf.output()))
    document = extract(path.read_bytes(), path.name)
    markdown = cleanup_with_pages(document.pages, kind=document.format)[0]
    assert headings(markdown) == ["Summary", "Tree structure of bookmarks",
                                  "Font encoding mechanism",
                                  "2 Strings in TeX and PDF"]

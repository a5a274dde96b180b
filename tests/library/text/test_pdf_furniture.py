"""Running heads, navigation bars and shortened bookmarks, on small generated PDFs.

Each case reproduces what a document of the quality harness did (bench/quality):
a slide deck's navigation bar that changes from slide to slide, a book's front-matter
heads with roman page numbers next to its title page, a paper whose bookmarks are
shorter than its headings, Sphinx's "CHAPTER / FOUR / TITLE" chapter openers.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from jobdock.library.text import cleanup_with_pages, extract
from jobdock.library.text.furniture import EdgeLine, positioned_furniture
from jobdock.library.text.pdf_reader import iter_pdf_pages
from tests.fixtures import pdf_cases


def markdown_of(path: Path) -> str:
    document = extract(path.read_bytes(), path.name)
    return cleanup_with_pages(document.pages, kind=document.format)[0]


def headings(markdown: str) -> list[str]:
    return re.findall(r"^#+ (.*)$", markdown, re.MULTILINE)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("furniture")


def test_slide_navigation_bars_go_even_where_their_buttons_change(folder: Path) -> None:
    path = folder / "slides.pdf"
    pdf_cases.make_slides(path)
    raw = list(iter_pdf_pages(path.read_bytes(), path.name))
    assert raw[1][0].text.startswith("Full-screen"), "the bar should come first in text order"
    markdown = markdown_of(path)
    for button in ("Full-screen", "Back", "Quit", "Page Only"):
        assert button not in markdown
    assert markdown.count("Document information") == 1  # the slide's title, not its button
    assert markdown.count("Bookmarks") == 3  # a title repeated on three slides stays
    for _, body in pdf_cases.SLIDES:
        for line in body:
            assert line in markdown
    assert "Next comes the title" in markdown  # "Next" as a word of the text stays


def test_front_matter_heads_with_roman_numbers_go_and_the_title_stays(folder: Path) -> None:
    path = folder / "guide.pdf"
    pdf_cases.make_guide(path)
    raw = list(iter_pdf_pages(path.read_bytes(), path.name))
    assert raw[1][-1].text == f"{pdf_cases.GUIDE} ii", "the head should come last"
    markdown = markdown_of(path)
    assert markdown.count(pdf_cases.GUIDE) == 2  # title page and the table's cell
    assert headings(markdown)[0] == pdf_cases.GUIDE
    assert "TITLE : Sample Packaging Guide" in markdown
    assert not re.search(r"Guide (?:i|ii|iii|iv|v)\b", markdown)
    assert "/ 6" not in markdown
    for number in range(1, 7):
        assert f"explains step {number} of packaging" in markdown


def test_bookmarks_shorter_than_their_headings_find_them(folder: Path) -> None:
    path = folder / "paper.pdf"
    pdf_cases.make_paper(path)
    markdown = markdown_of(path)
    assert headings(markdown) == [heading for _, heading, _ in pdf_cases.PAPER]
    for _, sentence in pdf_cases.PAPER_BODY_ONLY:  # named by a bookmark, still body text
        assert sentence in markdown


def test_a_chapter_opener_word_does_not_join_the_heading(folder: Path) -> None:
    path = folder / "openers.pdf"
    pdf_cases.make_chapter_openers(path)
    markdown = markdown_of(path)
    assert headings(markdown) == ["SCOPE OF THIS DOCUMENT", "RESOURCES FOR MEMBERS",
                                  "MANAGING PACKAGES"]


def edge(index: int, edge: str, distance: float, *items: str, size: float = 10.0) -> EdgeLine:
    return EdgeLine(index, edge, distance, size, items)


def test_positioned_furniture_needs_the_same_place_on_three_pages() -> None:
    pages = [
        [edge(0, "top", 40, "A Guide", "ii"), edge(9, "bottom", 90, "Body line one.")],
        [edge(0, "top", 40, "A Guide", "iii"), edge(9, "bottom", 90, "Another body line.")],
        [edge(0, "top", 41, "A Guide", "1 / 9"), edge(9, "bottom", 90, "A third one.")],
        [edge(0, "top", 300, "A Guide"), edge(9, "bottom", 90, "Fourth.")],  # a title
    ]
    drop = positioned_furniture(pages, body=10.0)
    assert drop == [{0}, {0}, {0}, set()]


def test_positioned_furniture_takes_a_bar_by_most_of_its_items_not_a_large_title() -> None:
    bars = [("Full-screen", "Back", "Next")] * 3 + [("Full-screen", "Quit", "Page Only",
                                                    "Back")]
    pages = [[edge(0, "top", 90, "Bookmarks", size=24.0),
              edge(5, "bottom", 60, *bar, size=8.0)] for bar in bars]
    pages.append([edge(0, "top", 90, "Summary", size=24.0),
                  edge(5, "bottom", 60, "Full-screen", "Quit", "Page Only", size=8.0)])
    drop = positioned_furniture(pages, body=12.0)
    assert drop == [{5}, {5}, {5}, {5}, set()]  # the last bar: one item in three repeats


def test_positioned_furniture_drops_a_head_by_its_printed_page_number() -> None:
    heads = [("Chapter 1: Start", str(n + 3)) for n in range(3)] + \
        [("Appendix A: Alone", "6")]  # seen once; its number still fits the offset
    pages = [[edge(0, "top", 50, *head)] for head in heads]
    pages.append([edge(0, "top", 50, "5 Results")])  # a section number is no page number
    assert positioned_furniture(pages, body=10.0) == [{0}, {0}, {0}, {0}, set()]


def test_cleanup_leaves_a_pdfs_furniture_to_its_reader() -> None:
    """The reader has dropped what sits at a page's edges by position; what is left at
    the top of a page in text order (a note every chapter opens with) is text."""
    from jobdock.library.text import cleanup
    from jobdock.library.text.model import Page

    note = "The rewrite of this tutorial is available as a newer guide."
    pages = [Page(n, f"Chapter {n}\n{note}\nText {pdf_cases.varied(n)}") for n in range(1, 5)]
    assert cleanup(pages, kind="pdf").count(note) == 4
    assert cleanup(pages).count(note) == 0  # text of unknown origin: the text rules

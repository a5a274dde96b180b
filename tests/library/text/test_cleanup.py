"""Cleanup rules on hand-made pages: furniture, hyphens, reflow, headings, page spans."""

from __future__ import annotations

from jobdock.library.text import Page, cleanup, cleanup_with_pages

WORDS = ["queue", "worker", "lease", "heartbeat", "stage", "handler", "checkpoint", "retry"]


def _body(n: int) -> str:
    """Two paragraphs that differ from page to page, as real pages do."""
    return "".join(f"Paragraph {n}.{k}: the {WORDS[(n + k) % 8]} keeps the {WORDS[n % 8]} "
                   f"alive while the job runs through\nits stages; then a "
                   f"{WORDS[(3 * n + k) % 8]}.\n"
                   for k in range(2))


def _book(pages: int) -> list[Page]:
    return [Page(n, f"Chapter 3 — Page {n + 11}\n{_body(n)}\n{n}") for n in range(1, pages + 1)]


def test_running_headers_with_changing_numbers_and_page_numbers_go() -> None:
    markdown = cleanup(_book(4))
    assert "Chapter 3" not in markdown and "Page 1" not in markdown
    assert not any(line.strip().isdigit() for line in markdown.splitlines())
    assert markdown.count("Paragraph") == 8 and markdown.count("\n\n") == 7


def test_two_pages_are_too_few_to_call_a_line_a_running_header() -> None:
    assert "Chapter 3 — Page 12" in cleanup(_book(2))


def test_hyphenated_words_are_joined_and_lines_reflowed() -> None:
    markdown = cleanup([Page(1, "We keep the infor-\nmation in one place,\nfor good.\n")])
    assert markdown == "We keep the information in one place, for good.\n"


def test_short_sentence_final_line_ends_a_layout_paragraph() -> None:
    text = ("This first line of the paragraph is long enough to count as a full line.\n"
            "It ends here.\n"
            "A second paragraph starts on this line and is long enough to be a full one\n"
            "and it also ends here.\n")
    assert cleanup([Page(1, text)]).count("\n\n") == 1


def test_standalone_heading_lines_become_markdown_headings() -> None:
    text = ("1. Introduction\nThe text begins. It has sentences.\n\nRESULTS AND DISCUSSION\n"
            "More text follows here.\n\nChapter 2\nEven more text.\n\n"
            "3. a lowercase list item\nis not a heading.\n")
    markdown = cleanup([Page(1, text)])
    assert "## 1. Introduction\n" in markdown
    assert "## RESULTS AND DISCUSSION\n" in markdown
    assert "## Chapter 2\n" in markdown
    assert "## 3." not in markdown


def test_heading_that_continues_a_sentence_is_not_a_heading() -> None:
    text = "We read about\nCHAPTER 2\nof the book yesterday.\n"
    assert "##" not in cleanup([Page(1, text)])


def test_markdown_structure_is_kept_line_for_line() -> None:
    text = ("# Title\n\nSome text\nwrapped here.\n\n- one\n- two\n\n| a | b |\n|---|---|\n\n"
            "```\ncode  spacing\n\n# comment\n```\n")
    markdown = cleanup([Page(1, text)])
    assert markdown == ("# Title\n\nSome text wrapped here.\n\n- one\n- two\n\n| a | b |\n"
                        "|---|---|\n\n```\ncode  spacing\n\n# comment\n```\n")


def test_page_spans_locate_each_page_in_the_markdown() -> None:
    pages = [Page(1, "Alpha text on page one."), Page(2, ""), Page(3, "Gamma on three.")]
    markdown, spans = cleanup_with_pages(pages)
    assert [s[0] for s in spans] == [1, 2, 3]
    assert markdown[spans[0][1]:spans[0][2]] == "Alpha text on page one."
    assert spans[1][1] == spans[1][2]  # an empty page has an empty span
    assert markdown[spans[2][1]:spans[2][2]] == "Gamma on three."


def test_paragraph_continues_across_a_page_break() -> None:
    pages = [Page(1, "The sentence starts on the first page and\n"),
             Page(2, "finishes on the second page.\n")]
    markdown, spans = cleanup_with_pages(pages)
    assert markdown == ("The sentence starts on the first page and finishes on the second "
                        "page.\n")
    assert markdown[spans[1][1]:spans[1][2]] == "finishes on the second page."


def test_whitespace_is_normalised() -> None:
    text = "Tabs\tand\u00a0odd  spaces\r\nand soft\u00adhyphens.\n\n\n\nNext."
    markdown = cleanup([Page(1, text)])
    assert markdown == "Tabs and odd spaces and softhyphens.\n\nNext.\n"

"""Page furniture: running headers/footers and page numbers, found by repetition.

An edge line (among the first or last two non-blank lines of a page) is furniture when

* its signature (case, spacing and numbers ignored, so "Chapter 3 — Page 12" matches
  "Chapter 3 — Page 13") recurs at the edges of at least two other pages — a running
  head that changes per chapter still repeats within the chapter; or
* it starts or ends with the page's printed number: where most pages carry a number
  at a fixed offset from their position (printed = index + offset), an edge line
  holding exactly that number is a running head, even when it appears once (a
  table-of-contents line, with its dot leader, is not); or
* it is a bare page number.

Only paged formats (PDF) have furniture; chapters of an EPUB end with footnotes, not
page numbers.
"""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 3  # how many non-blank lines at each end of a page may be furniture
MIN_REPEATS = 3  # pages a signature must be seen on (itself and two others)
MIN_NUMBERED = 3  # pages that must agree on a printed-number offset
MIN_SIGNATURE_LETTERS = 3  # "}" or "end" recurring at a page top is code, not a header
ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
PAGE_NUMBER = re.compile(
    rf"^(?:page|p\.|pg\.?)?\s*[-\u2013\u2014(\[]?\s*(?:\d{{1,5}}|{ROMAN})\s*[-\u2013\u2014)\]]?"
    r"\s*(?:(?:of|/)\s*\d{1,5})?$", re.IGNORECASE)
DIGITS = re.compile(r"\d+")
SMALL_ROMAN = re.compile(r"(?=[ivxl])(?:xl|l?x{0,3})(?:ix|iv|v?i{0,3})")  # i … xlix
DOT_LEADER = re.compile(r"(?:\.\s*){4,}\d+\s*$")
LEADING_NUMBER = re.compile(r"^\s*(\d{1,5})\s+\S")
TRAILING_NUMBER = re.compile(r"\S\s+(\d{1,5})\s*$")


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Return the pages' lines without running headers/footers and edge page numbers."""
    if len(pages) < 2:
        return pages
    repeated = _repeated_signatures(pages) if len(pages) >= MIN_REPEATS else set()
    offset = _page_number_offset(pages)
    return [_strip_page(lines, repeated, None if offset is None else index + offset)
            for index, lines in enumerate(pages)]


def signature(line: str) -> str:
    """A line with case, spacing and numbers (arabic, or roman at its ends) ignored."""
    words = DIGITS.sub("#", line.casefold()).split()
    for i in {0, len(words) - 1} if words else ():
        if SMALL_ROMAN.fullmatch(words[i]):  # front matter: "Debian Reference xxi"
            words[i] = "#"
    return " ".join(words)


def _edge_indexes(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    head, tail = filled[:EDGE_LINES], filled[-EDGE_LINES:]
    return sorted(set(head) | set(tail))


def _repeated_signatures(pages: list[list[str]]) -> set[str]:
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({signature(lines[i]) for i in _edge_indexes(lines)})
    return {sig for sig, count in counts.items()
            if count >= MIN_REPEATS and sum(c.isalpha() for c in sig) >= MIN_SIGNATURE_LETTERS}


def _edge_numbers(line: str) -> list[int]:
    if DOT_LEADER.search(line):
        return []  # a table-of-contents entry, whose number is another page's
    found = [LEADING_NUMBER.match(line), TRAILING_NUMBER.search(line)]
    return [int(m.group(1)) for m in found if m]


def _page_number_offset(pages: list[list[str]]) -> int | None:
    """The offset of printed page numbers from page positions, if most pages agree."""
    offsets: Counter[int] = Counter()
    for index, lines in enumerate(pages):
        seen: set[int] = set()
        for i in _edge_indexes(lines):
            text = lines[i].strip()
            numbers = [int(text)] if text.isdigit() else _edge_numbers(text)
            seen.update(n - index for n in numbers)
        offsets.update(seen)
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(MIN_NUMBERED, len(pages) // 4) else None


def _strip_page(lines: list[str], repeated: set[str], printed: int | None) -> list[str]:
    drop = {i for i in _edge_indexes(lines)
            if signature(lines[i]) in repeated or PAGE_NUMBER.match(lines[i].strip())
            or (printed is not None and printed in _edge_numbers(lines[i]))}
    return [line for i, line in enumerate(lines) if i not in drop]

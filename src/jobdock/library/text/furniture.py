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

Where the reader knows where each line sits on its page (PDFs), furniture is also found
by position, whatever order the text comes in (:func:`positioned_furniture`): a line in a
page's top or bottom row is cut into items at wide gaps (a head and its page number,
the buttons of a slide's navigation bar); an item is furniture when its signature recurs
at the same height on at least two other pages, and the line goes when at least half of
its items are furniture — so "Full-screen Bookmarks Quit Back Next" goes with the
"Full-screen Back Next" bars around it, while a document's title on its title page, set
elsewhere on the page, stays. A top or bottom row that is a bare page number, or that
carries the page's printed number at an end or as an item of its own, goes too. The PDF
reader does this itself; text without positions gets the rules above.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass

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
ROW = 2.0  # points: baselines closer than this are one row, and one place across pages
LARGER_THAN_BODY = 1.12  # a line set this much larger than the body text is no furniture


@dataclass(frozen=True)
class EdgeLine:
    """A line in the top or bottom row of a page, as the PDF reader placed it."""

    index: int  # the line's index among its page's lines
    edge: str  # "top" or "bottom"
    distance: float  # of its baseline from that edge of the page, points
    size: float  # font size (0 when unknown)
    items: tuple[str, ...]  # its text cut at gaps wider than its font size


def positioned_furniture(edges: list[list[EdgeLine]], body: float) -> list[set[int]]:
    """Per page, the indexes of its edge lines that are furniture (see the module notes).

    ``body`` is the body text's font size; lines set clearly larger (a slide's title,
    which may well repeat) are never furniture."""
    shapes = [[_furniture_shape(line.items) for line in lines] for lines in edges]
    places: dict[tuple[str, str], list[tuple[float, int]]] = {}
    for page, lines in enumerate(edges):
        for line, shaped in zip(lines, shapes[page], strict=True):
            for shape in shaped:
                places.setdefault((line.edge, shape), []).append((line.distance, page))
    for found in places.values():
        found.sort()
    offset = _printed_offset(edges)
    drop: list[set[int]] = [set() for _ in edges]
    for page, lines in enumerate(edges):
        for line, shaped in zip(lines, shapes[page], strict=True):
            if body and line.size > body * LARGER_THAN_BODY:
                continue
            repeated = sum(_recurs(places[(line.edge, shape)], line.distance)
                           for shape in shaped)
            if (line.items and repeated * 2 >= len(line.items)) \
                    or PAGE_NUMBER.match(" ".join(line.items)) \
                    or (offset is not None and page + offset in _numbers(line)):
                drop[page].add(line.index)
    return drop


def _numbers(line: EdgeLine) -> list[int]:
    """The numbers an edge line starts or ends with, or that stand alone as its items
    ("Chapter 3: Foo 47", "12 Introduction", "Chapter 3: Foo    47")."""
    alone = [int(item) for item in line.items if item.isdigit() and len(item) <= 5]
    return alone + _edge_numbers(" ".join(line.items))


def _printed_offset(edges: list[list[EdgeLine]]) -> int | None:
    """The offset of printed page numbers from page positions, if most pages agree."""
    offsets: Counter[int] = Counter()
    for page, lines in enumerate(edges):
        offsets.update({n - page for line in lines for n in _numbers(line)})
    if not offsets:
        return None
    offset, count = offsets.most_common(1)[0]
    return offset if count >= max(MIN_NUMBERED, len(edges) // 4) else None


def _furniture_shape(items: tuple[str, ...]) -> list[str]:
    """The signatures of the items that may be furniture: words (three letters at least)
    or a page number; not a lone "}" or "end"."""
    shapes = []
    for item in items:
        shape = signature(item)
        if sum(c.isalpha() for c in shape) >= MIN_SIGNATURE_LETTERS or \
                PAGE_NUMBER.match(item.strip()):
            shapes.append(shape)
    return shapes


def _recurs(found: list[tuple[float, int]], distance: float) -> bool:
    """Whether ``found`` (sorted (distance, page) pairs) holds MIN_REPEATS pages within
    ROW points of ``distance``."""
    pages: set[int] = set()
    for index in range(bisect.bisect_left(found, (distance - ROW, -1)), len(found)):
        place, page = found[index]
        if place > distance + ROW:
            break
        pages.add(page)
        if len(pages) >= MIN_REPEATS:
            return True
    return False


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Return the pages' lines without running headers/footers and edge page numbers."""
    drop = text_furniture(pages)
    return [[line for i, line in enumerate(lines) if i not in gone]
            for lines, gone in zip(pages, drop, strict=True)]


def text_furniture(pages: list[list[str]]) -> list[set[int]]:
    """Per page, the indexes of its furniture lines, found from the text alone."""
    if len(pages) < 2:
        return [set() for _ in pages]
    repeated = _repeated_signatures(pages) if len(pages) >= MIN_REPEATS else set()
    offset = _page_number_offset(pages)
    return [_furniture_lines(lines, repeated, None if offset is None else index + offset)
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


def _furniture_lines(lines: list[str], repeated: set[str], printed: int | None) -> set[int]:
    return {i for i in _edge_indexes(lines)
            if signature(lines[i]) in repeated or PAGE_NUMBER.match(lines[i].strip())
            or (printed is not None and printed in _edge_numbers(lines[i]))}

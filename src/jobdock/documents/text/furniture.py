"""Page furniture: running headers/footers and page numbers, found by repetition.

A line at the top or bottom of a page that recurs on at least half the pages (with
digits ignored, so "Chapter 3 — Page 12" matches "Chapter 3 — Page 13") is furniture,
not content. Bare page numbers at a page edge go too.
"""

from __future__ import annotations

import math
import re
from collections import Counter

EDGE_LINES = 2  # how many non-blank lines at each end of a page may be furniture
MIN_PAGES_FOR_REPEATS = 3
ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
PAGE_NUMBER = re.compile(
    rf"^(?:page|p\.|pg\.?)?\s*[-\u2013\u2014(\[]?\s*(?:\d{{1,5}}|{ROMAN})\s*[-\u2013\u2014)\]]?"
    r"\s*(?:(?:of|/)\s*\d{1,5})?$", re.IGNORECASE)
DIGITS = re.compile(r"\d+")


def strip_furniture(pages: list[list[str]]) -> list[list[str]]:
    """Return the pages' lines without running headers/footers and edge page numbers."""
    if len(pages) < 2:
        return pages
    repeated = _repeated_signatures(pages) if len(pages) >= MIN_PAGES_FOR_REPEATS else set()
    return [_strip_page(lines, repeated) for lines in pages]


def signature(line: str) -> str:
    """A line with case, spacing and numbers ignored."""
    return DIGITS.sub("#", " ".join(line.split()).casefold())


def _edge_indexes(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    head, tail = filled[:EDGE_LINES], filled[-EDGE_LINES:]
    return sorted(set(head) | set(tail))


def _repeated_signatures(pages: list[list[str]]) -> set[str]:
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({signature(lines[i]) for i in _edge_indexes(lines)})
    needed = max(2, math.ceil(len(pages) / 2))
    return {sig for sig, count in counts.items() if count >= needed}


def _strip_page(lines: list[str], repeated: set[str]) -> list[str]:
    drop = {i for i in _edge_indexes(lines)
            if signature(lines[i]) in repeated or PAGE_NUMBER.match(lines[i].strip())}
    return [line for i, line in enumerate(lines) if i not in drop]

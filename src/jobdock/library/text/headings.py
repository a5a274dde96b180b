"""Markdown heading helpers, shared by cleanup, chunking and the outline.

``iter_headings`` skips ``#`` lines inside fenced code, where they are comments, not
headings. ``looks_like_heading`` is the light heuristic for text that lost its markup
(PDF, plain text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
NUMBERED = re.compile(r"^(\d{1,3}(?:\.\d{1,3})*)\.?[ \t]+(\S.*)$")
NAMED = re.compile(r"^(?:chapter|part|section|appendix|book|lesson|unit)[ \t]+"
                   r"(?:\d{1,3}|[ivxlc]{1,6}|[a-z])\b", re.IGNORECASE)
SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "of",
               "on", "or", "the", "to", "vs", "via", "with"}
MAX_HEADING_CHARS = 80


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    start: int  # offset of the heading line
    end: int  # offset just after the heading line (before its newline)


def iter_headings(markdown: str) -> Iterator[Heading]:
    """ATX headings (``# Title``) in order, outside fenced code blocks."""
    offset = 0
    fence: str | None = None
    for line in split_lines(markdown):
        marker = FENCE.match(line)
        if fence is not None:
            if marker and marker.group(1) == fence:
                fence = None
        elif marker:
            fence = marker.group(1)
        else:
            match = ATX.match(line)
            if match and (match.group(2) or "").strip():
                yield Heading(len(match.group(1)), match.group(2).strip(), offset,
                              offset + len(line))
        offset += len(line) + 1


def split_lines(text: str) -> Iterator[str]:
    """``text.split("\\n")`` one line at a time (no list of every line of a big text)."""
    start = 0
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def looks_like_heading(line: str) -> bool:
    """Short, no final punctuation, and ALL CAPS, "Chapter 2 …" or "1. Title Case"."""
    text = line.strip()
    if not 2 <= len(text) <= MAX_HEADING_CHARS or text[-1] in ".,;:!?" or len(text.split()) > 12:
        return False
    if NAMED.match(text) and text[0].isupper():
        return True
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters):
        return True
    numbered = NUMBERED.match(text)
    return numbered is not None and _title_case(numbered.group(2))


def _title_case(text: str) -> bool:
    words = [w for w in re.findall(r"[^\W\d_][\w'\u2019-]*", text)]
    if not words or not words[0][0].isupper():
        return False
    return all(w[0].isupper() for w in words[1:] if w.lower() not in SMALL_WORDS)

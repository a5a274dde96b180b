"""Re-anchor annotations after a document's text was edited.

Offsets are first carried across the edit with a paragraph diff (unchanged paragraphs
shift, nothing else moves); the quote is then checked there, searched exactly near
that point, then fuzzily. Each annotation ends ``exact``, ``fuzzy`` or ``lost``.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from jobdock.library.integrations.matching import (
    FUZZY_THRESHOLD,
    Match,
    find_exact,
    find_fuzzy,
)


@dataclass(frozen=True)
class Anchor:
    id: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Reanchored:
    id: str
    method: str  # "exact" | "fuzzy" | "lost"
    start: int
    end: int
    confidence: float


def _paragraphs(text: str) -> list[str]:
    return text.splitlines(keepends=True)


class OffsetMap:
    """Maps offsets in the old text to the new one through the unchanged lines."""

    def __init__(self, old: str, new: str) -> None:
        a, b = _paragraphs(old), _paragraphs(new)
        self._new_len = len(new)
        a_starts, b_starts = _starts(a), _starts(b)
        self._blocks: list[tuple[int, int, int]] = []  # old start, old end, shift
        for i, j, size in _matching_blocks(a, b):
            if size:
                start, end = a_starts[i], a_starts[i + size]
                self._blocks.append((start, end, b_starts[j] - start))
        self._keys = [blk[0] for blk in self._blocks]

    def map(self, offset: int) -> int:
        """The new offset of ``offset``; inside an edited part, the nearest kept edge's."""
        if not self._blocks:
            return offset
        k = bisect.bisect_right(self._keys, offset) - 1
        if k < 0:
            return offset + self._blocks[0][2]
        _, end, shift = self._blocks[k]
        return offset + shift if offset < end else end + shift

    def region(self, start: int, end: int) -> tuple[int, int]:
        """The stretch of the new text that replaced the edited part around old
        ``start``..``end``: from the end of the kept lines before it to the start of the
        kept lines after it."""
        k = bisect.bisect_right(self._keys, start) - 1
        lo = self._blocks[k][1] + self._blocks[k][2] if k >= 0 else 0
        after = bisect.bisect_left(self._keys, end)
        hi = self._blocks[after][0] + self._blocks[after][2] if after < len(self._blocks) \
            else self._new_len
        return lo, max(lo, hi)

    def unchanged(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self._keys, start) - 1
        return k >= 0 and end <= self._blocks[k][1]


def _matching_blocks(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """Matching runs of lines; the common head and tail are taken off first (an edit
    usually touches a small stretch, and difflib is slow on long runs of blank lines)."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    middle = difflib.SequenceMatcher(None, a[head:len(a) - tail], b[head:len(b) - tail],
                                     autojunk=False)
    blocks = [(0, 0, head)]
    blocks += [(i + head, j + head, n) for i, j, n in middle.get_matching_blocks() if n]
    blocks.append((len(a) - tail, len(b) - tail, tail))
    return blocks


def _starts(lines: list[str]) -> list[int]:
    starts, pos = [0], 0
    for line in lines:
        pos += len(line)
        starts.append(pos)
    return starts


def reanchor(old: str, new: str, anchors: Iterable[Anchor],
             threshold: float = FUZZY_THRESHOLD) -> list[Reanchored]:
    mapping = OffsetMap(old, new)
    return [_one(a, new, mapping, threshold) for a in anchors]


def _one(anchor: Anchor, new: str, mapping: OffsetMap, threshold: float) -> Reanchored:
    near = mapping.map(anchor.start)
    if mapping.unchanged(anchor.start, anchor.end):
        return Reanchored(anchor.id, "exact", near, near + anchor.end - anchor.start, 1.0)
    found = _in_region(anchor, new, mapping, threshold) or \
        find_exact(anchor.quote, new, near) or find_fuzzy(anchor.quote, new, near, threshold)
    if found is None:
        return Reanchored(anchor.id, "lost", anchor.start, anchor.end, 0.0)
    method = "exact" if found.method == "exact" else "fuzzy"
    return Reanchored(anchor.id, method, found.start, found.end, found.confidence)


def _in_region(anchor: Anchor, new: str, mapping: OffsetMap, threshold: float) -> Match | None:
    """Search where the edit happened first: a repeated phrase elsewhere must not win."""
    lo, hi = mapping.region(anchor.start, anchor.end)
    pad = len(anchor.quote)
    lo, hi = max(0, lo - pad), min(len(new), hi + pad)
    window = new[lo:hi]
    found = find_exact(anchor.quote, window) or find_fuzzy(anchor.quote, window, None, threshold)
    if found is None:
        return None
    return Match(found.method, lo + found.start, lo + found.end, found.confidence)


def counts(results: Iterable[Reanchored]) -> dict[str, int]:
    tally = Counter(r.method for r in results)
    return {"exact": tally["exact"], "fuzzy": tally["fuzzy"], "lost": tally["lost"]}

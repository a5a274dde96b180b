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

from jobdock.library.integrations.matching import FUZZY_THRESHOLD, find_exact, find_fuzzy


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
        a_starts, b_starts = _starts(a), _starts(b)
        self._blocks: list[tuple[int, int, int]] = []  # old start, old end, shift
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for i, j, size in matcher.get_matching_blocks():
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

    def unchanged(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self._keys, start) - 1
        return k >= 0 and end <= self._blocks[k][1]


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
    found = find_exact(anchor.quote, new, near) or find_fuzzy(anchor.quote, new, near,
                                                               threshold)
    if found is None:
        return Reanchored(anchor.id, "lost", anchor.start, anchor.end, 0.0)
    method = "exact" if found.method == "exact" else "fuzzy"
    return Reanchored(anchor.id, method, found.start, found.end, found.confidence)


def counts(results: Iterable[Reanchored]) -> dict[str, int]:
    tally = Counter(r.method for r in results)
    return {"exact": tally["exact"], "fuzzy": tally["fuzzy"], "lost": tally["lost"]}

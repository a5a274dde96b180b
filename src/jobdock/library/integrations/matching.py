"""Find a quoted passage in a document's text: exactly, or fuzzily with a confidence.

Exact means the same words (whitespace may differ: exports re-wrap lines). Fuzzy uses
rapidfuzz's best partial alignment; its score / 100 is the confidence, and only a
confidence above :data:`FUZZY_THRESHOLD` counts as a match. With a position hint the
search looks near it first, so a repeated phrase resolves to the nearest occurrence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

FUZZY_THRESHOLD = 0.7
MIN_WINDOW = 2000


@dataclass(frozen=True)
class Match:
    method: str  # "exact" | "fuzzy" | "none"
    start: int = -1
    end: int = -1
    confidence: float = 0.0
    reason: str = ""

    @property
    def found(self) -> bool:
        return self.method != "none"


def _words_pattern(quote: str) -> re.Pattern[str]:
    return re.compile(r"\s+".join(re.escape(w) for w in quote.split()))


def find_exact(quote: str, text: str, near: int | None = None) -> Match | None:
    """The occurrence of ``quote`` (whitespace-insensitive) nearest ``near``, else first."""
    q = quote.strip()
    if not q:
        return None
    spans = [(m.start(), m.end()) for m in _words_pattern(q).finditer(text)]
    if not spans:
        return None
    start, end = min(spans, key=lambda s: abs(s[0] - near)) if near is not None else spans[0]
    return Match("exact", start, end, 1.0)


def find_fuzzy(quote: str, text: str, near: int | None = None,
               threshold: float = FUZZY_THRESHOLD) -> Match | None:
    """The best alignment scoring above ``threshold``: near the hint first, then anywhere."""
    q = " ".join(quote.split())
    if not q:
        return None
    cutoff = threshold * 100
    if near is not None:
        margin = max(MIN_WINDOW, 2 * len(q))
        lo = max(0, near - margin)
        found = _align(q, text[lo:near + len(q) + margin], cutoff)
        if found is not None:
            return Match("fuzzy", lo + found[0], lo + found[1], found[2])
    found = _align(q, text, cutoff)
    return Match("fuzzy", *found) if found is not None else None


def _align(quote: str, text: str, cutoff: float) -> tuple[int, int, float] | None:
    if not text:
        return None
    result = fuzz.partial_ratio_alignment(quote, text, score_cutoff=cutoff)
    if result is None or result.score <= cutoff:
        return None
    start, end = _snap(text, result.dest_start, result.dest_end)
    return start, end, round(result.score / 100, 4)


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen an alignment to whole words (it may start or end mid-word), trim spaces."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and end > 0 and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def locate(quote: str, text: str, near: int | None = None,
           threshold: float = FUZZY_THRESHOLD) -> Match:
    """Exact, else fuzzy, else a "none" match whose ``reason`` says why."""
    if not quote.strip():
        return Match("none", reason="the highlight has no text")
    if not text.strip():
        return Match("none", reason="the document has no text yet")
    found = find_exact(quote, text, near) or find_fuzzy(quote, text, near, threshold)
    if found is not None:
        return found
    best = fuzz.partial_ratio(" ".join(quote.split()), text) / 100
    return Match("none", confidence=round(best, 4),
                 reason=f"no passage matches (best similarity {best:.2f}, "
                        f"needs more than {threshold:.2f})")

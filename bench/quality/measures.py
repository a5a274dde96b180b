"""The harness's measures, each comparing our Markdown with a reference text."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from functools import cache

WORD = re.compile(r"[^\W\d_]+")
HYPHENATED = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)+")
SPLIT_LEFT = re.compile(r"([^\W\d_]+)- ([^\W\d_]+)")
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
NOT_ALNUM = re.compile(r"[\W_]+")
MIN_GLUED = 8


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


def coverage(reference: str, ours: str) -> float:
    """Share of the reference's word occurrences that our text also has."""
    ref, mine = Counter(words(reference)), Counter(words(ours))
    total = sum(ref.values())
    return sum(min(n, mine[w]) for w, n in ref.items()) / total if total else 1.0


def glued(reference: str, ours: str) -> tuple[int, float]:
    """Our words the reference does not know but that split into two or more it does."""
    vocabulary = {w for w in words(reference) if len(w) > 1 or w in ("a", "i")}
    tokens = words(ours)
    found = [t for t in set(tokens) if len(t) >= MIN_GLUED and t not in vocabulary
             and _splits(t, frozenset(vocabulary))]
    count = sum(1 for t in tokens if t in set(found))
    return count, 100.0 * count / max(1, len(tokens))


def _splits(word: str, vocabulary: frozenset[str]) -> bool:
    @cache
    def parts(start: int) -> int:  # fewest pieces covering word[start:], 0 if impossible
        if start == len(word):
            return 0
        best = 0
        for end in range(len(word), start, -1):
            if word[start:end] in vocabulary and (end - start > 1 or word[start:end] == "a"):
                rest = parts(end)
                if end == len(word) or rest:
                    best = 1 + rest if not best else min(best, 1 + rest)
        return best

    return parts(0) >= 2


def _pages(reference: str) -> list[list[str]]:
    return [[" ".join(line.split()) for line in page.split("\n") if line.strip()]
            for page in reference.split("\f")]


def furniture(reference: str) -> set[str]:
    """The reference's running heads: page-edge lines whose shape (numbers aside)
    recurs on three pages or more."""
    edges: list[str] = [line for page in _pages(reference) if page
                        for line in {page[0], page[-1]}]
    per_page = Counter(re.sub(r"\d+", "#", line.casefold()) for line in edges)
    return {line for line in set(edges) if per_page[re.sub(r"\d+", "#", line.casefold())] >= 3
            and sum(c.isalpha() for c in line) >= 3}


def body(reference: str) -> str:
    """The reference without its running heads (what coverage is measured against)."""
    lines = furniture(reference)
    return "\n".join(line for page in _pages(reference) for line in page if line not in lines)


def running_heads_left(reference: str, ours: str) -> tuple[int, list[str]]:
    """Running heads of the reference that are still in our text."""
    lines = furniture(reference)
    rest = " ".join(body(reference).split())
    flat = " ".join(ours.split())
    left = []
    for line in sorted(lines):
        extra = flat.count(line) - rest.count(line)
        left.extend([line] * max(0, extra))
    return len(left), left[:5]


def hyphen_errors(reference: str, ours: str) -> tuple[int, list[str]]:
    """Split words left apart ("pack-ages", "infor- mation") or compounds glued
    ("cameraready" where the reference writes "camera-ready")."""
    vocabulary = set(words(reference))
    compounds = {h.casefold() for h in HYPHENATED.findall(reference)}
    errors: list[str] = []
    for token in HYPHENATED.findall(ours):
        low = token.casefold()
        if low not in compounds and low.replace("-", "") in vocabulary:
            errors.append(token)
    for left, right in SPLIT_LEFT.findall(ours):
        if (left + right).casefold() in vocabulary:
            errors.append(f"{left}- {right}")
    for token in set(words(ours)) - vocabulary:
        if any(f"{token[:i]}-{token[i:]}" in compounds for i in range(2, len(token) - 1)):
            errors.append(token)
    return len(errors), errors[:5]


def norm(text: str) -> str:
    return NOT_ALNUM.sub("", text).casefold()


def _outside_fences(markdown: str) -> str:
    kept, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            kept.append(line)
    return "\n".join(kept)


def headings_found(reference: list[str], ours: str) -> tuple[int, int]:
    mine = [norm(h) for h in HEADING.findall(_outside_fences(ours))]
    mine = [h for h in mine if h]
    found = 0
    for title in (norm(t) for t in reference):
        if title and any(h == title or (len(title) >= 4 and h.endswith(title))
                         or (len(h) >= 4 and title.endswith(h))
                         or (len(title) >= 5 and h.startswith(title)) for h in mine):
            found += 1
    return found, len([t for t in reference if norm(t)])


def token_stats(counts: list[int], window: int) -> dict[str, float]:
    if not counts:
        return {"chunks": 0}
    ordered = sorted(counts)
    return {"chunks": len(counts), "min": ordered[0], "median": statistics.median(ordered),
            "p95": ordered[int(0.95 * (len(ordered) - 1))], "max": ordered[-1],
            "over_window": sum(c > window for c in counts),
            "under_50": sum(c < 50 for c in counts),
            "unembedded_pct": 100.0 * sum(max(0, c - window) for c in counts) / sum(counts)}

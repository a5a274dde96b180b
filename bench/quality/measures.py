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
TITLE_WORD = re.compile(r"\w+")
MIN_GLUED = 8
URL = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>()\[\]]+", re.IGNORECASE)
DIGITS = re.compile(r"\d+")
ROMAN = re.compile(r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})")
ROW = 2.0  # points: lines whose tops are closer share a row, and a position across pages
EDGE_ROWS = 1  # rows at the top and at the bottom of a page that may be furniture
# (two would take a continued table's header row, repeated under the running head)
MIN_PAGES = 3  # pages a furniture line's shape must be seen on, at the same height
MIN_LETTERS = 3  # furniture that counts as a running head (page numbers do not)


def words(text: str) -> list[str]:
    return [w.casefold() for w in WORD.findall(text)]


def coverage(reference: str, ours: str) -> float:
    """Share of the reference's word occurrences that our text also has."""
    ref, mine = Counter(words(reference)), Counter(words(ours))
    total = sum(ref.values())
    return sum(min(n, mine[w]) for w, n in ref.items()) / total if total else 1.0


def glued(reference: str, ours: str) -> tuple[int, float]:
    """Our words the reference does not know but that split into two or more it does.

    Web addresses are left out of our text first: a Markdown source keeps its links'
    targets ("…/UserGuide/Features/XWikiSyntax/"), pandoc's plain-text reference drops
    them, and a path is not prose whose words extraction could have run together."""
    vocabulary = {w for w in words(reference) if len(w) > 1 or w in ("a", "i")}
    tokens = words(URL.sub(" ", ours))
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


def shape(line: str) -> str:
    """A line with case and spacing folded and its numbers, arabic or roman, as ``#``."""
    return " ".join("#" if ROMAN.fullmatch(w) else w
                    for w in DIGITS.sub("#", line.casefold()).split())


def furniture(positioned: list[list[tuple[float, str]]]) -> list[Counter[str]]:
    """The reference's page furniture, page by page: lines in a page's top or bottom row
    (by position on the page, not by pdftotext's reading order) whose shape recurs within
    ``ROW`` points of the same height on three pages or more.

    That is a running head or footer, chapter by chapter, with its page number (arabic
    or roman), and a navigation button repeated on slides; a document's title on its
    title page, or in a table, is elsewhere on the page and stays text."""
    edges: list[tuple[int, float, str, str]] = []  # (page, top, shape, line)
    for page, lines in enumerate(positioned):
        tops = sorted({top for top, text in lines if text.strip()})
        rows: list[float] = []  # each row's first top
        for top in tops:
            if not rows or top - rows[-1] > ROW:
                rows.append(top)
        keep = rows[:EDGE_ROWS] + rows[-EDGE_ROWS:]
        for top, text in lines:
            row = max(r for r in rows if r <= top) if text.strip() else None
            if row in keep:
                edges.append((page, top, shape(text), " ".join(text.split())))
    by_shape: dict[str, list[tuple[int, float]]] = {}
    for page, top, sig, _ in edges:
        by_shape.setdefault(sig, []).append((page, top))
    found: list[Counter[str]] = [Counter() for _ in positioned]
    for page, top, sig, text in edges:
        pages = {p for p, t in by_shape[sig] if abs(t - top) <= ROW}
        if len(pages) >= MIN_PAGES:
            found[page][text] += 1
    return found


def body(reference: str, furniture_lines: list[Counter[str]]) -> str:
    """The reference without its furniture (what coverage is measured against): on each
    page, as many lines equal to a furniture line as that page has of it."""
    kept: list[str] = []
    for index, page in enumerate(_pages(reference)):
        drop = Counter(furniture_lines[index]) if index < len(furniture_lines) else Counter()
        for line in page:
            if drop[line] > 0:
                drop[line] -= 1
            else:
                kept.append(line)
    return "\n".join(kept)


def _occurrences(text: str, line: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(line)}(?!\w)", text))


def running_heads_left(reference: str, furniture_lines: list[Counter[str]],
                       ours: str) -> tuple[int, list[str]]:
    """Running heads of the reference (furniture with three letters or more) still in our
    text: per distinct line, how many more times our text has it (as whole words) than
    the reference has it outside its furniture."""
    rest = " ".join(body(reference, furniture_lines).split())
    flat = " ".join(ours.split())
    heads = {line for page in furniture_lines for line in page
             if sum(c.isalpha() for c in line) >= MIN_LETTERS}
    left = []
    for line in sorted(heads):
        extra = _occurrences(flat, line) - _occurrences(rest, line)
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


def _title_words(text: str) -> list[str]:
    return [w.casefold() for w in TITLE_WORD.findall(text)]


def _same_letters(title: str, mine: str) -> bool:
    return mine == title


def _prefix_or_suffix(title: str, mine: str) -> bool:
    """"1 Introduction" for "Introduction", "Font encoding mechanism" for "Font encoding
    mechanism of LaTeX2e" (letters and digits only)."""
    return (len(title) >= 4 and mine.endswith(title)) \
        or (len(mine) >= 4 and title.endswith(mine)) \
        or (len(title) >= 5 and mine.startswith(title)) \
        or (len(mine) >= 5 and title.startswith(mine))


def _shortened(bookmark: str, heading: str) -> bool:
    """The bookmark's words in order in the heading, sharing its first or last word:
    "2.1 Strings of PDF format" for "2.1 PDF", "Places for hyperref options" for "Places
    for options", "10.5 Git" for "Git"."""
    wanted, words = _title_words(bookmark), _title_words(heading)
    rest = iter(words)
    return bool(wanted) and all(w in rest for w in wanted) and \
        (words[0] == wanted[0] or words[-1] == wanted[-1])


def headings_found(reference: list[tuple[str, int | None]], ours: str,
                   pages: list[str] | None = None) -> tuple[int, int, int]:
    """``(found, findable, outline)``: bookmarks that one of our headings is, those whose
    words are on the page they point to (or the next; with ``pages``, the reference's
    page texts), and all of them. A bookmark that names no text on its page ("Title",
    "Beginning", a group of slides) is a viewer's label, not a heading anyone can find.

    Each heading of ours stands for one bookmark at most: first the same titles, then a
    prefix or suffix, then a shortened one (see the functions above), each bookmark
    taking the first heading left that matches."""
    mine = [h for h in HEADING.findall(_outside_fences(ours)) if norm(h)]
    titled = [(t, page) for t, page in reference if norm(t)]
    taken = [False] * len(mine)
    hit = [False] * len(titled)
    for rule in (_same_letters, _prefix_or_suffix):
        for i, (title, _) in enumerate(titled):
            if hit[i]:
                continue
            for j, heading in enumerate(mine):
                if not taken[j] and rule(norm(title), norm(heading)):
                    taken[j] = hit[i] = True
                    break
    for i, (title, _) in enumerate(titled):
        if not hit[i]:
            for j, heading in enumerate(mine):
                if not taken[j] and _shortened(title, heading):
                    taken[j] = hit[i] = True
                    break
    found = sum(hit)
    findable = sum(h or _on_page(t, page, pages) for h, (t, page) in zip(hit, titled, strict=True))
    return found, findable, len(titled)


def _on_page(title: str, page: int | None, pages: list[str] | None) -> bool:
    if pages is None or page is None:
        return True
    near = " ".join(pages[page:page + 2]).casefold()
    there = set(TITLE_WORD.findall(near))
    return all(w in there for w in _title_words(title))


def token_stats(counts: list[int], window: int) -> dict[str, float]:
    if not counts:
        return {"chunks": 0}
    ordered = sorted(counts)
    return {"chunks": len(counts), "min": ordered[0], "median": statistics.median(ordered),
            "p95": ordered[int(0.95 * (len(ordered) - 1))], "max": ordered[-1],
            "over_window": sum(c > window for c in counts),
            "under_50": sum(c < 50 for c in counts),
            "unembedded_pct": 100.0 * sum(max(0, c - window) for c in counts) / sum(counts)}

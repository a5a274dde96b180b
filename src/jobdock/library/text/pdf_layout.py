"""PDF lines → Markdown-safe page text with headings marked, decided per line.

Headings come from the PDF's outline (bookmarks) where it has one: each entry is looked
for on its target page. Without an outline, short lines set clearly larger than the
body text are headings, one level per font size. Every other line that starts with
``#`` (a code comment, a shell prompt) is escaped, so it stays text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from jobdock.library.text.headings import looks_like_heading

MIN_OUTLINE = 3  # fewer bookmarks than this are not an outline (e.g. just "Title")
LARGER = 1.12  # a heading font is at least this much larger than the body font
BOLD = 600
MAX_HEADING_WORDS = 15
MAX_LEVELS = 4
SHORT_TITLE = 60
MIN_VARIANT = 8  # letters and digits: a heading line, not a paragraph line
ESCAPE = re.compile(r"^(\s*)([#`~])")
NOT_ALNUM = re.compile(r"[\W_]+")
NUMBER_WORDS = ("chapter", "appendix", "part", "i", "v", "x")
NUMBER_PREFIX = re.compile(r"^(?:\d+|[ivxlc]+|[a-z]|chapter\d+|appendix[a-z0-9]|part\d+)*$")


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 0.0  # font size of the first letter, points (0 when unknown)
    weight: int = 0  # font weight of the first letter (400 regular, 700 bold)
    top: float = 0.0  # top of the first letter, points from the page bottom


@dataclass(frozen=True)
class OutlineEntry:
    level: int  # 0 for top-level bookmarks
    title: str
    page: int  # 0-based page index


def mark_headings(pages: list[list[Line]], outline: list[OutlineEntry]) -> list[str]:
    """One text per page: headings as ``#`` lines, everything else escaped."""
    marks: dict[tuple[int, int], tuple[int, int]] = {}  # (page, line) -> (level, lines used)
    if len(outline) >= MIN_OUTLINE:
        marks = _outline_marks(pages, outline, _body_size(pages))
    if not marks:
        marks = _font_marks(pages)
    return [_render(index, lines, marks) for index, lines in enumerate(pages)]


def _render(page: int, lines: list[Line], marks: dict[tuple[int, int], tuple[int, int]]) -> str:
    out: list[str] = []
    skip = 0
    for number, line in enumerate(lines):
        if skip:
            skip -= 1
            continue
        mark = marks.get((page, number))
        if mark is None:
            out.append(ESCAPE.sub(r"\1\\\2", line.text))
            continue
        level, used = mark
        title = " ".join(" ".join(x.text for x in lines[number:number + used]).split())
        out.extend(["", "#" * level + " " + title.lstrip("#").strip(), ""])
        skip = used - 1
    return "\n".join(out)


def norm(text: str) -> str:
    """Letters and digits only, lower case: how titles are compared."""
    return NOT_ALNUM.sub("", text).casefold()


def _outline_marks(pages: list[list[Line]], outline: list[OutlineEntry],
                   body: float) -> dict[tuple[int, int], tuple[int, int]]:
    marks: dict[tuple[int, int], tuple[int, int]] = {}
    cursor: dict[int, int] = {}  # per page, where the previous match ended
    for entry in outline:
        level = min(6, entry.level + 1)
        for page in (entry.page, entry.page + 1):
            if not 0 <= page < len(pages):
                continue
            found = _find_title(pages[page], norm(entry.title), cursor.get(page, 0), body)
            if found is not None:
                start, used = found
                marks[(page, start)] = (level, used)
                cursor[page] = start + used
                break
    return marks


def _find_title(lines: list[Line], title: str, start: int,
                body: float) -> tuple[int, int] | None:
    """The first line at or after ``start`` that is the title (maybe numbered, maybe wrapped;
    set large, it may also be a longer or shorter form of the bookmark)."""
    if not title:
        return None
    exact = _exact_title(lines, title, start)
    if exact is not None or not body:
        return exact
    return next(((index, 1) for index in range(start, len(lines))
                 if lines[index].size >= body * LARGER
                 and _variant(norm(lines[index].text), title)), None)


def _exact_title(lines: list[Line], title: str, start: int) -> tuple[int, int] | None:
    for index in range(start, len(lines)):
        joined = ""
        for used in range(1, 4):
            if index + used > len(lines):
                break
            joined += norm(lines[index + used - 1].text)
            if not joined:
                break
            if _same_title(joined, title):
                return index, used
            if not title.startswith(joined) and not _numbered_prefix(joined, title):
                break
    return None


def _same_title(line: str, title: str) -> bool:
    if line == title:
        return True
    if line.endswith(title):  # "18rcommands…" for "R commands…" (section number in text)
        return bool(NUMBER_PREFIX.match(line[: -len(title)]))
    if title.endswith(line) and len(line) >= 4:  # the bookmark carries the number
        return bool(NUMBER_PREFIX.match(title[: -len(line)]))
    # a numbered bookmark that shortens its heading: "2 Strings" for "2 Strings in TeX"
    return title[:1].isdigit() and len(title) >= 5 and line.startswith(title) and \
        len(line) <= SHORT_TITLE


def _variant(line: str, title: str) -> bool:
    """"Tree structure of bookmarks" for the bookmark "Tree structure", or the reverse."""
    shorter, longer = sorted((line, title), key=len)
    return len(shorter) >= MIN_VARIANT and longer.startswith(shorter) and \
        len(longer) <= SHORT_TITLE


def _numbered_prefix(line: str, title: str) -> bool:
    """A wrapped numbered title: the line is "<number><start of the title>"."""
    if not (line[:1].isdigit() or line.startswith(NUMBER_WORDS)):
        return False
    for cut in range(1, min(len(line), 12)):
        if NUMBER_PREFIX.match(line[:cut]) and title.startswith(line[cut:]) and line[cut:]:
            return True
    return False


def _font_marks(pages: list[list[Line]]) -> dict[tuple[int, int], tuple[int, int]]:
    """Headings by font: clearly larger short lines, a level per size, wrapped lines joined."""
    body = _body_size(pages)
    if not body:
        return {}
    sizes = sorted({line.size for lines in pages for line in lines
                    if _heading_candidate(line, body)}, reverse=True)
    levels = {size: min(MAX_LEVELS, rank + 1) for rank, size in enumerate(sizes)}
    bold_level = min(MAX_LEVELS, len(sizes) + 1)
    marks: dict[tuple[int, int], tuple[int, int]] = {}
    for page, lines in enumerate(pages):
        index = 0
        while index < len(lines):
            line = lines[index]
            level = levels.get(line.size) if _heading_candidate(line, body) else None
            if level is None and _bold_heading(line, body):
                level = bold_level
            if level is None:
                index += 1
                continue
            used = 1
            while (index + used < len(lines) and lines[index + used].size == line.size
                   and _heading_candidate(lines[index + used], body) and used < 3):
                used += 1
            marks[(page, index)] = (level, used)
            index += used
    total = sum(len(lines) for lines in pages)
    return marks if len(marks) * 4 <= total else {}  # a quarter of all lines: not headings


def _body_size(pages: list[list[Line]]) -> float:
    weights: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            if line.size > 0:
                weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 0.0


def _heading_candidate(line: Line, body: float) -> bool:
    text = line.text.strip()
    words = text.split()
    return (line.size >= body * LARGER and 1 <= len(words) <= MAX_HEADING_WORDS
            and any(c.isalpha() for c in text) and text[-1] not in ".,;")


def _bold_heading(line: Line, body: float) -> bool:
    return line.weight >= BOLD and abs(line.size - body) < 0.5 and \
        looks_like_heading(line.text) and any(c.isdigit() for c in line.text.split()[0])

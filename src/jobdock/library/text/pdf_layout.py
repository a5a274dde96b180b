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
SET_APART = 0.5  # points: a heading font this much larger or smaller than the body font
MAX_HEADING_WORDS = 15
MAX_LEVELS = 4
SHORT_TITLE = 60
MIN_VARIANT = 5  # letters and digits in the words a longer or shorter form shares
ESCAPE = re.compile(r"^(\s*)([#`~])")
NOT_ALNUM = re.compile(r"[\W_]+")
NUMBER_WORDS = ("chapter", "appendix", "part", "i", "v", "x")
# A section number as :func:`norm` leaves it: "2.3.1" → "231", "A.2" → "a2", "Chapter 4",
# "Appendix B", "Part II"; one number, not any run of letters ("chapterfour" is none).
NUMBER_PREFIX = re.compile(
    r"^(?:chapter|part|section|appendix)?(?:(?:\d+|[ivxlc]+|[a-z])\d*[a-z]?)?$")
# A bookmark that starts with its section number: "2.1 PDF", "5 hyperref", "A.3 Multiarch".
NUMBERED = re.compile(r"^((?:\d+|[A-Z])(?:\.\d+)*)\.?\s+(\S.*)$")
WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)  # every line of a PDF is one: no __dict__ each
class Line:
    text: str
    size: float = 0.0  # font size of the first letter, points (0 when unknown)
    weight: int = 0  # font weight of the first letter (400 regular, 700 bold)
    y: float | None = None  # baseline of its first character, points from the page bottom


@dataclass(frozen=True)
class OutlineEntry:
    level: int  # 0 for top-level bookmarks
    title: str
    page: int  # 0-based page index


def mark_headings(pages: list[list[Line]], outline: list[OutlineEntry]) -> list[str]:
    """One text per page: headings as ``#`` lines, everything else escaped."""
    marks: dict[tuple[int, int], tuple[int, int]] = {}  # (page, line) -> (level, lines used)
    if len(outline) >= MIN_OUTLINE:
        marks = _outline_marks(pages, outline, body_size(pages))
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
            found = _find_title(pages[page], entry.title, cursor.get(page, 0), body)
            if found is not None:
                start, used = found
                marks[(page, start)] = (level, used)
                cursor[page] = start + used
                break
    return marks


def _find_title(lines: list[Line], bookmark: str, start: int,
                body: float) -> tuple[int, int] | None:
    """The first line at or after ``start`` that is the bookmark's title (maybe numbered,
    maybe wrapped; set large, it may also be a longer or shorter form of the bookmark; set
    apart from the body text, a numbered line whose words hold the numbered bookmark's)."""
    title = norm(bookmark)
    if not title:
        return None
    exact = _exact_title(lines, title, start)
    if exact is not None or not body:
        return exact
    variant = next(((index, 1) for index in range(start, len(lines))
                    if _set_apart(lines[index], body)
                    and _variant(lines[index].text, bookmark)), None)
    return variant if variant is not None else _abbreviated(lines, bookmark, start, body)


def _set_apart(line: Line, body: float) -> bool:
    """Set larger than the body text; or in another size, or bold, and not ending as a
    sentence or a list item does (a paper's run-in subsection titles are smaller)."""
    if line.size >= body * LARGER:
        return True
    text = line.text.strip()
    return (abs(line.size - body) >= SET_APART or line.weight >= BOLD) and bool(text) \
        and text[-1] not in ".,;:" and len(text.split()) <= MAX_HEADING_WORDS


def _abbreviated(lines: list[Line], bookmark: str, start: int,
                 body: float) -> tuple[int, int] | None:
    """"2.1 Strings of PDF format" for the bookmark "2.1 PDF", "5 Package hyperref" for
    "5 hyperref": the same section number, the bookmark's words in order, and a font
    that sets the line apart (another size, or bold)."""
    numbered = NUMBERED.match(bookmark.strip())
    if numbered is None:
        return None
    number, wanted = numbered.group(1), WORD.findall(numbered.group(2).casefold())
    for index in range(start, len(lines)):
        line = lines[index]
        text = line.text.strip()
        found = NUMBERED.match(text)
        if found is None or found.group(1) != number or not _set_apart(line, body):
            continue
        if _in_order(wanted, WORD.findall(found.group(2).casefold())):
            return index, 1
    return None


def _in_order(wanted: list[str], words: list[str]) -> bool:
    rest = iter(words)
    return all(word in rest for word in wanted)


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


def _variant(line: str, bookmark: str) -> bool:
    """A longer or shorter form of the bookmark, in whole words: "Tree structure of
    bookmarks" or "Places for hyperref options" for "Tree structure", "Places for
    options" (the bookmark's words in order, the first or the last one shared); "Font
    encoding mechanism" for "Font encoding mechanism of LaTeX2e" (a prefix)."""
    mine, theirs = WORD.findall(line.casefold()), WORD.findall(bookmark.casefold())
    if not mine or not theirs or len(norm(line)) > SHORT_TITLE:
        return False
    if len(mine) < len(theirs):
        return theirs[:len(mine)] == mine and len("".join(mine)) >= MIN_VARIANT
    return len("".join(theirs)) >= MIN_VARIANT and _in_order(theirs, mine) and \
        (mine[0] == theirs[0] or mine[-1] == theirs[-1])


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
    body = body_size(pages)
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


def body_size(pages: list[list[Line]]) -> float:
    """The font size most of the text is set in (0 when no size is known)."""
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

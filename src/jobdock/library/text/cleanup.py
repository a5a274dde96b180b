"""Raw page text → clean Markdown, remembering where each page's text landed.

Two modes, chosen by the format (``kind``) or, when it is not given, page by page:
*Markdown* text (EPUB, HTML, Markdown files) keeps its structure: headings, lists,
tables, quotes and code fences stay line for line; only plain paragraphs are re-flowed.
*Layout* text (PDFs, plain text) has lost its structure, so it is rebuilt: a line that
ends a sentence well short of the usual width ends a paragraph, paragraphs continue
across page breaks, and in plain text a short standalone line that looks like a heading
("1. Introduction", "Chapter 2", "RESULTS") becomes ``## heading`` (a PDF's headings
come marked from its reader, which escapes every other ``#``). Words hyphenated across
line ends are joined only where the joined word is one (:mod:`.hyphens`). A PDF's running
headers/footers and page numbers are gone already (its reader finds them by position);
pages of unknown origin (no ``kind``) lose them by repetition (:mod:`.furniture`).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache

from jobdock.library.text.furniture import strip_furniture
from jobdock.library.text.headings import looks_like_heading, split_lines
from jobdock.library.text.hyphens import Vocabulary, join_hyphenated
from jobdock.library.text.model import Page

Line = tuple[int, str | None]  # (page number, text); text None marks a page break
Segment = tuple[int, int, int]  # (page number, start, end) within a rendered block
PageSpan = tuple[int, int, int]  # (page number, start, end) within the markdown

MD_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
STRUCTURAL = re.compile(r"^(?:\s*(?:[-*+]|\d{1,3}[.)])\s|\s*>|\s*\||\s{4}|\s*<|\s*[=-]{3,}\s*$)")
BULLET = re.compile("^[\u2022\u25e6\u25aa\u2023\u2219\u00b7\u2013*-]\\s+")
SENTENCE_END = re.compile("[.!?][\"\u201d\u2019)\\]]?$")
HYPHEN_END = re.compile(r"[^\W\d_]-$")
DOT_LEADER = re.compile(r"(?:[ \t]*\.){4,}[ \t]*(?=\d|$)")  # "Intro . . . . 7" (a TOC line)
PILCROW = re.compile(r"[ \t]*[\u00b6\u00a7]+[ \t]*$")  # Sphinx's "¶" permalink
LAYOUT = {"pdf", "text"}
TRANSLATE = str.maketrans({"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "",
                           "\ufeff": "", "\t": "    ", "\u00a0": " ", "\u2028": "\n",
                           "\u2029": "\n\n", "\r": "\n", "\f": "\n", "\ufb00": "ff",
                           "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})
# What str.rstrip() strips at the end of each line; each run tried once (linear time).
TRAILING_SPACE = re.compile(r"(?<![^\S\n])[^\S\n]++$", re.MULTILINE)
SHORT_LINE = 0.8  # a sentence-final line shorter than this share of the width ends a paragraph


@dataclass
class Block:
    kind: str  # "para" (re-flowed), "heading" or "verbatim" (kept line for line)
    lines: list[tuple[int, str]] = field(default_factory=list)


def cleanup(pages: list[Page], *, layout: bool | None = None, kind: str | None = None) -> str:
    """The cleaned Markdown of ``pages`` (see :func:`cleanup_with_pages`)."""
    return cleanup_with_pages(pages, layout=layout, kind=kind)[0]


def cleanup_with_pages(pages: list[Page], *, layout: bool | None = None,
                       kind: str | None = None) -> tuple[str, list[PageSpan]]:
    """Return ``(markdown, page_spans)``; each span is ``(page number, start, end)``.

    Every input page gets a span, in input order; a page whose text was all furniture
    gets an empty span at the point where it would have been. ``kind`` is the format
    (``pdf``, ``text``, ``markdown``, ``html``, ``epub``); ``layout`` forces the mode.
    Without either, each page is Markdown if it contains a Markdown heading.
    """
    spans: list[PageSpan] = []
    markdown = "".join(iter_cleanup(pages, spans, layout=layout, kind=kind))
    return markdown, spans


def iter_cleanup(pages: Iterable[Page], spans: list[PageSpan], *, layout: bool | None = None,
                 kind: str | None = None) -> Iterator[str]:
    """:func:`cleanup_with_pages` as pieces of Markdown, in order, to be written as they
    come; ``spans`` receives the page spans once the pieces are exhausted.

    Memory: the normalised text of every page (``pages`` may be a generator, so the raw
    text of each page can go once normalised) and one block at a time; lines are read
    one by one, except for pages of unknown kind, whose furniture is found across pages.
    """
    numbers: list[int] = []
    texts: list[str] = []
    for page in pages:
        numbers.append(page.number)
        texts.append(_normalise(page.text))
        del page  # not kept past the loop: its raw text may be big
    modes = _modes(texts, layout, kind)
    vocabulary = Vocabulary(t for t, mode in zip(texts, modes, strict=True) if mode)
    layout_pages = {n for n, mode in zip(numbers, modes, strict=True) if mode}
    if kind is None:  # pages of unknown origin: furniture found by repetition
        split = [t.split("\n") for t in texts]
        del texts  # each copy of a big text held here is another multiple of its size
        page_lines: Sequence[Sequence[str]] = strip_furniture(split)
        del split
    else:
        page_lines = texts
    width = _usual_width(line for n, lines in zip(numbers, page_lines, strict=True)
                         if n in layout_pages for line in _page_lines(lines))
    options = _Options(layout_pages, width, guess_headings=kind != "pdf",
                       vocabulary=vocabulary)
    lines = _lines(numbers, page_lines)
    yield from _assemble(_blocks(lines, options), numbers, vocabulary, spans)


def _page_lines(lines: Sequence[str]) -> Iterable[str]:
    """A page's lines: a list of them, or its text split one line at a time."""
    return split_lines(lines) if isinstance(lines, str) else lines


def _lines(numbers: list[int], page_lines: Sequence[Sequence[str]]) -> Iterator[Line]:
    """Each page's lines without its blank edge lines, then a page break (None)."""
    for number, lines in zip(numbers, page_lines, strict=True):
        blank: list[str] = []
        started = False
        for text in _page_lines(lines):
            if not text.strip():
                if started:
                    blank.append(text)
                continue
            started = True
            for pending in blank:
                yield number, pending
            blank.clear()
            yield number, text
        yield number, None


def _modes(texts: list[str], layout: bool | None, kind: str | None) -> list[bool]:
    """Per page: True for layout text, False for Markdown."""
    if layout is not None:
        return [layout] * len(texts)
    if kind is not None:
        return [kind in LAYOUT] * len(texts)
    return [not any(MD_HEADING.match(line) for line in split_lines(t)) for t in texts]


@dataclass
class _Options:
    layout_pages: set[int]
    width: int
    guess_headings: bool
    vocabulary: Vocabulary


def _normalise(text: str) -> str:
    """NFC, the TRANSLATE table, every space separator (Zs) as a space, no line ends
    with whitespace. At most two copies of ``text`` at a time, no list of its lines."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(TRANSLATE)
    return TRAILING_SPACE.sub("", text.translate(_spaces()))


@cache
def _spaces() -> dict[int, str]:
    """Every space separator (category Zs) but the space itself, mapped to a space (all
    are in the Basic Multilingual Plane)."""
    return {c: " " for c in range(0x10000)
            if unicodedata.category(chr(c)) == "Zs" and c != 0x20}


def _usual_width(lines: Iterable[str]) -> int:
    """The 80th-percentile line length: the width a full line of body text reaches."""
    counts = Counter(len(t.strip()) for t in lines if t and t.strip())
    rank = int(0.8 * (sum(counts.values()) - 1))
    for length in sorted(counts):
        rank -= counts[length]
        if rank < 0:
            return length
    return 0


def _blocks(lines: Iterator[Line], options: _Options) -> Iterator[Block]:
    builder = _BlockBuilder()
    ahead = _Lookahead(lines)
    for page, text in ahead:
        if builder.fence is None and builder.blocks:  # finished blocks go out at once
            yield from builder.blocks
            builder.blocks = []
        layout = page in options.layout_pages
        builder.layout = layout
        if text is None:
            if not layout:
                builder.close()
            continue
        if builder.in_fence(page, text):
            continue
        text = DOT_LEADER.sub(" ", text).strip() if layout else text
        stripped = text.strip()
        if not stripped:
            builder.close()
        elif MD_HEADING.match(text):
            title = PILCROW.sub("", " ".join(stripped.lstrip("#").split()))
            builder.single("heading", page, "#" * _level(stripped) + " " + title)
        elif layout and options.guess_headings and \
                _standalone_heading(stripped, ahead, builder.current):
            builder.single("heading", page, "## " + " ".join(stripped.split()))
        else:
            _add_line(builder, page, text, stripped, layout, options.width)
    builder.close()
    yield from builder.blocks


def _add_line(builder: _BlockBuilder, page: int, text: str, stripped: str, layout: bool,
              width: int) -> None:
    if layout and BULLET.match(stripped):
        builder.close()
        builder.add(page, "- " + BULLET.sub("", stripped))
        return
    builder.add(page, text)
    if layout and SENTENCE_END.search(stripped) and len(stripped) < SHORT_LINE * width:
        builder.close()


class _Lookahead:
    """An iterator of lines that can look ahead for the next line of text."""

    def __init__(self, lines: Iterator[Line]) -> None:
        self._lines = lines
        self._buffer: deque[Line] = deque()

    def __iter__(self) -> _Lookahead:
        return self

    def __next__(self) -> Line:
        return self._buffer.popleft() if self._buffer else next(self._lines)

    def next_text(self) -> str:
        """The next line that is not a page break, stripped ("" at the end)."""
        for _, text in self._buffer:
            if text is not None:
                return text.strip()
        for line in self._lines:
            self._buffer.append(line)
            if line[1] is not None:
                return line[1].strip()
        return ""


def _level(heading: str) -> int:
    return min(6, len(heading) - len(heading.lstrip("#")))


class _BlockBuilder:
    """Collects lines into blocks; a fenced code block is kept whole, blank lines too."""

    def __init__(self) -> None:
        self.layout = True
        self.blocks: list[Block] = []
        self.current: list[tuple[int, str]] = []
        self.fence: Block | None = None
        self.fence_marker = ""

    def in_fence(self, page: int, text: str) -> bool:
        marker = FENCE.match(text)
        if self.fence is not None:
            self.fence.lines.append((page, text))
            if marker and marker.group(1) == self.fence_marker and not text.strip("`~ "):
                self.fence = None
            return True
        if marker:
            self.close()
            self.fence, self.fence_marker = Block("verbatim", [(page, text)]), marker.group(1)
            self.blocks.append(self.fence)
            return True
        return False

    def add(self, page: int, text: str) -> None:
        self.current.append((page, text))

    def single(self, kind: str, page: int, text: str) -> None:
        self.close()
        self.blocks.append(Block(kind, [(page, text)]))

    def close(self) -> None:
        if not self.current:
            return
        structured = not self.layout and any(STRUCTURAL.match(t) for _, t in self.current)
        self.blocks.append(Block("verbatim" if structured else "para", self.current))
        self.current = []


def _standalone_heading(text: str, ahead: _Lookahead, current: list[tuple[int, str]]) -> bool:
    """A heading-like line after a finished sentence, before a capitalised line."""
    if not looks_like_heading(text):
        return False
    if current and not SENTENCE_END.search(current[-1][1].strip()):
        return False
    following = ahead.next_text()
    return not following or not following[0].islower()


def _render(block: Block, vocabulary: Vocabulary) -> tuple[str, list[Segment]]:
    """Text of one block, with where each source line (and so each page) ended up."""
    if block.kind != "para":
        out, segments = "", []
        for page, text in block.lines:
            out += "\n" if out else ""
            segments.append((page, len(out), len(out) + len(text)))
            out += text
        return out, segments
    out, segments = "", []
    for page, raw in block.lines:
        text = " ".join(raw.split())
        if out and HYPHEN_END.search(out) and text:
            out = join_hyphenated(out, text, vocabulary)
        elif out:
            out += " "
        segments.append((page, len(out), len(out) + len(text)))
        out += text
    return out, segments


def _assemble(blocks: Iterable[Block], numbers: list[int], vocabulary: Vocabulary,
              spans: list[PageSpan]) -> Iterator[str]:
    """The rendered blocks, a blank line apart, ending in a newline; then ``spans``."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    offset = 0
    for block in blocks:
        text, segments = _render(block, vocabulary)
        if not text.strip():
            continue
        if offset:
            offset += 2  # the blank line between blocks
            yield "\n\n"
        for page, start, end in segments:
            first.setdefault(page, offset + start)
            last[page] = offset + end
        yield text
        offset += len(text)
    if offset:
        yield "\n"
    cursor = 0
    for number in numbers:
        if number in first:
            spans.append((number, first[number], last[number]))
            cursor = last[number]
        else:
            spans.append((number, cursor, cursor))

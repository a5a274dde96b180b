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
from dataclasses import dataclass, field

from jobdock.library.text.furniture import strip_furniture
from jobdock.library.text.headings import looks_like_heading
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
    texts = [_normalise(p.text) for p in pages]
    modes = _modes(texts, layout, kind)
    vocabulary = Vocabulary(t for t, mode in zip(texts, modes, strict=True) if mode)
    split = [t.split("\n") for t in texts]
    del texts  # each copy of a big text held here is another multiple of its size
    page_lines = strip_furniture(split) if kind is None else split
    del split
    lines: list[Line] = []
    for page, page_text in zip(pages, page_lines, strict=True):
        lines.extend((page.number, text) for text in _trim_blank(page_text))
        lines.append((page.number, None))
    del page_lines
    layout_pages = {p.number for p, mode in zip(pages, modes, strict=True) if mode}
    width = _usual_width([line for line in lines if line[0] in layout_pages])
    options = _Options(layout_pages, width, guess_headings=kind != "pdf",
                       vocabulary=vocabulary)
    return _assemble(_blocks(lines, options), [p.number for p in pages], vocabulary)


def _modes(texts: list[str], layout: bool | None, kind: str | None) -> list[bool]:
    """Per page: True for layout text, False for Markdown."""
    if layout is not None:
        return [layout] * len(texts)
    if kind is not None:
        return [kind in LAYOUT] * len(texts)
    return [not any(MD_HEADING.match(line) for line in t.split("\n")) for t in texts]


@dataclass
class _Options:
    layout_pages: set[int]
    width: int
    guess_headings: bool
    vocabulary: Vocabulary


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).translate(TRANSLATE)
    return "\n".join("".join(" " if unicodedata.category(c) == "Zs" else c
                             for c in line).rstrip() for line in text.split("\n"))


def _trim_blank(lines: list[str]) -> list[str]:
    """Blank lines at a page's edges say nothing: a paragraph may go on over the break."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return lines[filled[0]:filled[-1] + 1] if filled else []


def _usual_width(lines: list[Line]) -> int:
    """The 80th-percentile line length: the width a full line of body text reaches."""
    lengths = sorted(len(t.strip()) for _, t in lines if t and t.strip())
    return lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0


def _blocks(lines: list[Line], options: _Options) -> list[Block]:
    builder = _BlockBuilder()
    for index, (page, text) in enumerate(lines):
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
                _standalone_heading(lines, index, builder.current):
            builder.single("heading", page, "## " + " ".join(stripped.split()))
        elif layout and BULLET.match(stripped):
            builder.close()
            builder.add(page, "- " + BULLET.sub("", stripped))
        else:
            builder.add(page, text)
            if layout and SENTENCE_END.search(stripped) and \
                    len(stripped) < SHORT_LINE * options.width:
                builder.close()
    builder.close()
    return builder.blocks


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


def _standalone_heading(lines: list[Line], index: int, current: list[tuple[int, str]]) -> bool:
    """A heading-like line after a finished sentence, before a capitalised line."""
    text = str(lines[index][1]).strip()
    if not looks_like_heading(text):
        return False
    if current and not SENTENCE_END.search(current[-1][1].strip()):
        return False
    following = next((t.strip() for _, t in lines[index + 1:] if t is not None), "")
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


def _assemble(blocks: list[Block], numbers: list[int],
              vocabulary: Vocabulary) -> tuple[str, list[PageSpan]]:
    parts: list[str] = []
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    offset = 0
    for block in blocks:
        text, segments = _render(block, vocabulary)
        if not text.strip():
            continue
        if parts:
            offset += 2  # the blank line between blocks
        for page, start, end in segments:
            first.setdefault(page, offset + start)
            last[page] = offset + end
        parts.append(text)
        offset += len(text)
    markdown = "\n\n".join(parts) + ("\n" if parts else "")
    spans: list[PageSpan] = []
    cursor = 0
    for number in numbers:
        if number in first:
            spans.append((number, first[number], last[number]))
            cursor = last[number]
        else:
            spans.append((number, cursor, cursor))
    return markdown, spans

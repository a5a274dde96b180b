"""Raw page text → clean Markdown, remembering where each page's text landed.

Two modes. *Markdown* text (any page has a ``#`` heading: EPUB, HTML, Markdown files)
keeps its structure: headings, lists, tables, quotes and code fences stay line for
line; only plain paragraphs are re-flowed. *Layout* text (PDFs, plain text: no ``#``
headings) has lost its structure, so it is rebuilt: a line that ends a sentence well
short of the usual width ends a paragraph, a short standalone line that looks like a
heading ("1. Introduction", "Chapter 2", "RESULTS") becomes ``## heading``, and
paragraphs continue across page breaks. Both modes join words hyphenated across line
ends and drop running headers/footers and page numbers (:mod:`.furniture`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from jobdock.documents.text.furniture import strip_furniture
from jobdock.documents.text.headings import looks_like_heading
from jobdock.documents.text.model import Page

Line = tuple[int, str | None]  # (page number, text); text None marks a page break
Segment = tuple[int, int, int]  # (page number, start, end) within a rendered block
PageSpan = tuple[int, int, int]  # (page number, start, end) within the markdown

MD_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
STRUCTURAL = re.compile(r"^(?:\s*(?:[-*+]|\d{1,3}[.)])\s|\s*>|\s*\||\s{4}|\s*<|\s*[=-]{3,}\s*$)")
BULLET = re.compile("^[\u2022\u25e6\u25aa\u2023\u2219\u00b7\u2013*-]\\s+")
SENTENCE_END = re.compile("[.!?][\"\u201d\u2019)\\]]?$")
HYPHEN_END = re.compile(r"[^\W\d_]{2}-$")
TRANSLATE = str.maketrans({"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "",
                           "\ufeff": "", "\t": "    ", "\u00a0": " ", "\u2028": "\n",
                           "\u2029": "\n\n", "\r": "\n", "\f": "\n", "\ufb00": "ff",
                           "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl"})
SHORT_LINE = 0.8  # a sentence-final line shorter than this share of the width ends a paragraph


@dataclass
class Block:
    kind: str  # "para" (re-flowed), "heading" or "verbatim" (kept line for line)
    lines: list[tuple[int, str]] = field(default_factory=list)


def cleanup(pages: list[Page], *, layout: bool | None = None) -> str:
    """The cleaned Markdown of ``pages`` (see :func:`cleanup_with_pages`)."""
    return cleanup_with_pages(pages, layout=layout)[0]


def cleanup_with_pages(pages: list[Page], *,
                       layout: bool | None = None) -> tuple[str, list[PageSpan]]:
    """Return ``(markdown, page_spans)``; each span is ``(page number, start, end)``.

    Every input page gets a span, in input order; a page whose text was all furniture
    gets an empty span at the point where it would have been. ``layout`` forces the
    mode; by default it is on when no page contains a Markdown heading.
    """
    texts = [_normalise(p.text) for p in pages]
    if layout is None:
        layout = not any(MD_HEADING.match(line) for t in texts for line in t.split("\n"))
    page_lines = strip_furniture([t.split("\n") for t in texts])
    lines: list[Line] = []
    for page, page_text in zip(pages, page_lines, strict=True):
        lines.extend((page.number, text) for text in _trim_blank(page_text))
        lines.append((page.number, None))
    blocks = _blocks(lines, layout, _usual_width(lines) if layout else 0)
    return _assemble(blocks, [p.number for p in pages])


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


def _blocks(lines: list[Line], layout: bool, width: int) -> list[Block]:
    builder = _BlockBuilder(layout)
    for index, (page, text) in enumerate(lines):
        if text is None:
            if not layout:
                builder.close()
            continue
        if builder.in_fence(page, text):
            continue
        stripped = text.strip()
        if not stripped:
            builder.close()
        elif MD_HEADING.match(text):
            builder.single("heading", page, "#" * _level(stripped) + " "
                           + " ".join(stripped.lstrip("#").split()))
        elif layout and _standalone_heading(lines, index, builder.current):
            builder.single("heading", page, "## " + " ".join(stripped.split()))
        elif layout and BULLET.match(stripped):
            builder.close()
            builder.add(page, "- " + BULLET.sub("", stripped))
        else:
            builder.add(page, text)
            if layout and SENTENCE_END.search(stripped) and len(stripped) < SHORT_LINE * width:
                builder.close()
    builder.close()
    return builder.blocks


def _level(heading: str) -> int:
    return min(6, len(heading) - len(heading.lstrip("#")))


class _BlockBuilder:
    """Collects lines into blocks; a fenced code block is kept whole, blank lines too."""

    def __init__(self, layout: bool) -> None:
        self.layout = layout
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


def _render(block: Block) -> tuple[str, list[Segment]]:
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
        if out and HYPHEN_END.search(out) and text[:1].islower():
            out = out[:-1]  # "infor-" + "mation" → "information"
        elif out:
            out += " "
        segments.append((page, len(out), len(out) + len(text)))
        out += text
    return out, segments


def _assemble(blocks: list[Block], numbers: list[int]) -> tuple[str, list[PageSpan]]:
    parts: list[str] = []
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    offset = 0
    for block in blocks:
        text, segments = _render(block)
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

"""Markdown → chunks that follow the document's headings and fit a token budget.

Split at headings first (each chunk knows its enclosing headings), then, only where a
section is over ``target_tokens``, at paragraphs, lines, sentences, words and finally
between tokens; adjacent pieces are packed greedily back up to the target. No overlap.
A short remainder, or a heading left alone, joins its neighbour when the two fit in
``max_tokens``; so does any chunk under ``min_tokens`` (a one-line section), which then
carries the heading path the two share. Every chunk is an exact, whitespace-trimmed
slice of the markdown.

Tokens are counted by ``count`` — by default ``count_tokens`` (words and punctuation
marks), deterministic and tokenizer-free, close to and usually above a WordPiece count
for English prose. An embedder with a window passes its own tokenizer's count and its
window as ``max_tokens``, so no chunk is longer than what the embedder sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from jobdock.library.text.headings import ATX, Heading, iter_headings

TOKEN = re.compile(r"\w+|[^\w\s]")
SEPARATORS = [
    re.compile(r"\n[ \t]*\n\s*"),  # paragraphs
    re.compile(r"\n\s*"),  # lines
    re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"\u201d\u2019)\]]))\s+"),  # sentences
    re.compile(r"\s+"),  # words
]
Span = tuple[int, int, int]  # (start, end, tokens)
PageSpan = tuple[int, int, int]  # (page number, start, end)


COUNT_WINDOW = 1 << 16
SPACE = re.compile(r"\s")


def count_tokens(text: str) -> int:
    """Words (``\\w+`` runs) plus punctuation marks: ``len(re.findall(r"\\w+|[^\\w\\s]"))``,
    counted a window at a time (a list of every token of a big text is ~6x its size)."""
    if len(text) <= COUNT_WINDOW:
        return len(TOKEN.findall(text))
    return sum(len(TOKEN.findall(text, start, end)) for start, end in windows(text))


def windows(text: str, size: int = COUNT_WINDOW) -> Iterator[tuple[int, int]]:
    """``(start, end)`` pieces of ``text`` of about ``size`` characters, each cut just
    before a whitespace character, so no token (nor wordpiece) spans two pieces."""
    start, length = 0, len(text)
    while start < length:
        found = SPACE.search(text, min(length, start + size))
        end = found.start() if found else length
        yield start, end
        start = end


@dataclass
class Chunk:
    chunk_index: int
    content: str
    start_offset: int
    end_offset: int
    heading_path: list[str] = field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None
    word_count: int = 0
    token_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        values["heading_path"] = list(values.get("heading_path") or [])
        return cls(**values)


def chunk_markdown(markdown: str, page_spans: list[PageSpan] | None = None,
                   target_tokens: int = 512, max_tokens: int = 800, min_tokens: int = 50,
                   count: Callable[[str], int] | None = None) -> list[Chunk]:
    """Chunks of ``markdown`` in order; see the module docstring for the rules."""
    return [chunk_at(markdown, span)
            for span in chunk_spans(markdown, page_spans, target_tokens, max_tokens,
                                    min_tokens, count)]


@dataclass(frozen=True)
class ChunkSpan:
    """A chunk without its text (``markdown[start:end]``): what a big document keeps of
    each of its chunks while it is processed a batch at a time."""

    index: int
    start: int
    end: int
    tokens: int
    heading_path: list[str]
    page_start: int | None
    page_end: int | None


def chunk_spans(markdown: str, page_spans: list[PageSpan] | None = None,
                target_tokens: int = 512, max_tokens: int = 800, min_tokens: int = 50,
                count: Callable[[str], int] | None = None) -> list[ChunkSpan]:
    """What :func:`chunk_markdown` returns, without each chunk's text."""
    if target_tokens < 1 or max_tokens < target_tokens:
        raise ValueError("need 1 <= target_tokens <= max_tokens")
    counter = count or count_tokens
    spans: list[tuple[int, int, int, list[str]]] = []
    for start, end, path in _sections(markdown):
        pieces = _split(markdown, start, end, 0, target_tokens, counter)
        for s, e, tokens in _settle(markdown, pieces, target_tokens, max_tokens):
            s, e = _trim(markdown, s, e)
            if s < e:
                spans.append((s, e, tokens, path))
    spans = _merge_small(markdown, spans, min_tokens, max_tokens, counter)
    return [ChunkSpan(index, s, e, tokens, path, *_page_range(page_spans, s, e))
            for index, (s, e, tokens, path) in enumerate(spans)]


def chunk_at(markdown: str, span: ChunkSpan) -> Chunk:
    """The :class:`Chunk` of ``span`` (its text sliced from ``markdown``)."""
    content = markdown[span.start:span.end]
    return Chunk(chunk_index=span.index, content=content, start_offset=span.start,
                 end_offset=span.end, heading_path=list(span.heading_path),
                 page_start=span.page_start, page_end=span.page_end,
                 word_count=len(content.split()), token_count=span.tokens)


def _merge_small(text: str, spans: list[tuple[int, int, int, list[str]]], least: int,
                 limit: int, counter: Callable[[str], int]) -> list[tuple[int, int, int,
                                                                        list[str]]]:
    """Join each chunk under ``least`` tokens to its next (else previous) neighbour."""
    out: list[tuple[int, int, int, list[str]]] = []
    pending: tuple[int, int, int, list[str]] | None = None
    for span in spans:
        if pending is not None:
            joined = counter(text[pending[0]:span[1]])
            if joined <= limit:
                span = (pending[0], span[1], joined, _common(pending[3], span[3]))
            else:
                out.append(pending)
            pending = None
        if span[2] < least:
            pending = span
        else:
            out.append(span)
    if pending is not None:
        if out and counter(text[out[-1][0]:pending[1]]) <= limit:
            last = out.pop()
            pending = (last[0], pending[1], counter(text[last[0]:pending[1]]),
                       _common(last[3], pending[3]))
        out.append(pending)
    return out


def _common(first: list[str], second: list[str]) -> list[str]:
    shared = []
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared.append(a)
    return shared


def _sections(markdown: str) -> list[tuple[int, int, list[str]]]:
    """``(start, end, heading path)`` per heading; a bare heading joins its first child."""
    headings = list(iter_headings(markdown))
    starts = [0] + [h.start for h in headings]
    ends = [h.start for h in headings] + [len(markdown)]
    paths: list[list[str]] = [[]]
    stack: list[Heading] = []
    for heading in headings:
        while stack and stack[-1].level >= heading.level:
            stack.pop()
        stack.append(heading)
        paths.append([h.title for h in stack])
    sections = []
    carry: int | None = None
    for index, (start, end, path) in enumerate(zip(starts, ends, paths, strict=True)):
        start = start if carry is None else carry
        carry = None
        bare = index > 0 and not markdown[headings[index - 1].end:end].strip()
        child_next = index < len(headings) and bare and \
            headings[index].level > headings[index - 1].level
        if child_next:
            carry = start
        elif markdown[start:end].strip():
            sections.append((start, end, path))
    return sections


def _split(text: str, start: int, end: int, level: int, target: int,
           counter: Callable[[str], int]) -> list[Span]:
    tokens = counter(text[start:end])
    if tokens <= target:
        return [(start, end, tokens)]
    if level == len(SEPARATORS):
        return _between_tokens(text, start, end, target, counter)
    parts = _pieces(text, start, end, SEPARATORS[level])
    if len(parts) <= 1:
        return _split(text, start, end, level + 1, target, counter)
    out: list[Span] = []
    for s, e in parts:
        out.extend(_split(text, s, e, level + 1, target, counter))
    return _pack(out, target)


def _pieces(text: str, start: int, end: int, separator: re.Pattern[str]) -> list[tuple[int, int]]:
    parts, cursor = [], start
    for match in separator.finditer(text, start, end):
        if match.start() > cursor:
            parts.append((cursor, match.start()))
        cursor = max(cursor, match.end())
    if cursor < end:
        parts.append((cursor, end))
    return parts


def _between_tokens(text: str, start: int, end: int, target: int,
                    counter: Callable[[str], int]) -> list[Span]:
    """Last resort for a run with no whitespace (a long URL): cut every ``target`` tokens,
    fewer where the counter sees more tokens than the regex does."""
    out: list[Span] = []
    matches = list(TOKEN.finditer(text, start, end))
    step = target
    i = 0
    while i < len(matches):
        group = matches[i:i + step]
        tokens = counter(text[group[0].start():group[-1].end()])
        if tokens > target and step > 1:
            step = max(1, step // 2)
            continue
        out.append((group[0].start(), group[-1].end(), tokens))
        i += len(group)
        step = target
    return out


def _pack(spans: list[Span], limit: int) -> list[Span]:
    """Greedily join neighbours while the sum stays within ``limit`` tokens."""
    packed: list[Span] = []
    for s, e, n in spans:
        if packed and packed[-1][2] + n <= limit:
            packed[-1] = (packed[-1][0], e, packed[-1][2] + n)
        else:
            packed.append((s, e, n))
    return packed


def _settle(text: str, spans: list[Span], target: int, limit: int) -> list[Span]:
    """Fold a lone heading into the next piece and a small tail into the previous one."""
    out: list[Span] = []
    for s, e, n in spans:
        if out and _is_heading_only(text, out[-1]) and out[-1][2] + n <= limit:
            out[-1] = (out[-1][0], e, out[-1][2] + n)
        else:
            out.append((s, e, n))
    if len(out) > 1 and out[-1][2] < target // 4 and out[-2][2] + out[-1][2] <= limit:
        tail = out.pop()
        out[-1] = (out[-1][0], tail[1], out[-1][2] + tail[2])
    return out


def _is_heading_only(text: str, span: Span) -> bool:
    body = text[span[0]:span[1]].strip()
    return "\n" not in body and bool(ATX.match(body))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _page_range(page_spans: list[PageSpan] | None, start: int,
                end: int) -> tuple[int | None, int | None]:
    if not page_spans:
        return None, None
    hits = [page for page, s, e in page_spans if s < end and e > start]
    if not hits:  # between pages: attribute to the page before
        before = [page for page, s, _ in page_spans if s <= start]
        hits = before[-1:] or [page_spans[0][0]]
    return min(hits), max(hits)

"""PDF → one text page per PDF page, with pypdfium2 (PDFium; BSD-3-Clause / Apache-2.0).

PDFium keeps word spaces where pypdf glued words together, and is ~20 times faster. Each
line keeps its font size and weight, so :mod:`.pdf_layout` can mark headings from the
PDF outline (bookmarks) or, where there is none, from the fonts. The lines of each
page's top and bottom rows are placed and cut at wide gaps, so running heads and
navigation bars are dropped by position (:func:`.furniture.positioned_furniture`)
before headings are marked. The page text it returns is Markdown-safe: a literal ``#``
at a line start is escaped, so a code comment never becomes a heading; only the
headings found here are ``#`` lines.

PDFium is not thread-safe, not even across documents (two calls at once crash the
process), and handlers run in threads: every use of it holds :data:`PDFIUM_LOCK`, and
every PDFium object is closed before the lock is released.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections.abc import Iterator
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from jobdock.library.text.errors import CorruptDocument, EncryptedDocument
from jobdock.library.text.furniture import (
    ROW,
    EdgeLine,
    positioned_furniture,
    text_furniture,
)
from jobdock.library.text.model import Page
from jobdock.library.text.pdf_layout import Line, OutlineEntry, body_size, mark_headings

PDFIUM_HYPHEN = "\ufffe"  # PDFium's mark for a hyphen it saw at a line end
PASSWORD_ERROR = 4  # FPDF_ERR_PASSWORD
HYPHEN = re.compile(r"(?<=[^\W\d_])(?:-|\ufffe)(?=[^\W\d_])|\ufffe")
LINE = re.compile(r"([^\r\n]*)(?:\r\n|\r|\n|\Z)")
ITEM_GAP = 1.0  # a gap wider than the font size separates items of one line (ems)
DEFAULT_SIZE = 10.0  # points, for a line whose font size is unknown
SPACES = re.compile(r"\s+")
FIRST_PLACED = re.compile(r"\S")
FIRST_LETTER = re.compile(r"[^\W\d_]")
PDFIUM_LOCK = threading.RLock()


def read_pdf(data: bytes, filename: str) -> tuple[str | None, list[Page]]:
    """Return ``(title, pages)``; raise when the PDF is locked or cannot be parsed."""
    with PDFIUM_LOCK:
        pdf = _open(data, filename)
        try:
            title = _title(pdf)
            outline = _outline(pdf)
            read = [_page(pdf, index) for index in range(len(pdf))]
        except pdfium.PdfiumError as exc:
            raise CorruptDocument(
                f"{filename} is a corrupt or incomplete PDF ({_reason(exc)}); save or export "
                "it again and upload the new file.") from exc
        finally:
            pdf.close()
    pages = [lines for lines, _ in read]
    drop = positioned_furniture([edges or [] for _, edges in read], body_size(pages))
    if any(edges is None for _, edges in read):  # pages placed nowhere: by their text
        by_text = text_furniture([[line.text for line in lines] for lines in pages])
        drop = [by_text[i] if edges is None else gone
                for i, ((_, edges), gone) in enumerate(zip(read, drop, strict=True))]
    pages = [[line for index, line in enumerate(lines) if index not in gone]
             for lines, gone in zip(pages, drop, strict=True)]
    texts = mark_headings(pages, outline)
    return title, [Page(number, text) for number, text in enumerate(texts, start=1)]


def iter_pdf_pages(data: bytes, filename: str) -> Iterator[list[Line]]:
    """The raw lines of each page, one page at a time (for measuring and tools). The lock
    is taken per page, never held while the caller has a page."""
    with PDFIUM_LOCK:
        pdf = _open(data, filename)
        count = len(pdf)
    try:
        for index in range(count):
            with PDFIUM_LOCK:
                lines = _page(pdf, index)[0]
            yield lines
    finally:
        with PDFIUM_LOCK:
            pdf.close()


def _open(data: bytes, filename: str) -> pdfium.PdfDocument:
    """Open PDFs that are only owner-locked (empty user password); refuse the rest."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if pdfium_c.FPDF_GetLastError() == PASSWORD_ERROR or "password" in str(exc).lower():
            raise EncryptedDocument(
                f"{filename} is encrypted; remove the password and upload it again.") from exc
        raise CorruptDocument(
            f"{filename} is a corrupt or incomplete PDF ({_reason(exc)}); save or export it "
            "again and upload the new file.") from exc


def _page(pdf: pdfium.PdfDocument,
          index: int) -> tuple[list[Line], list[EdgeLine] | None]:
    """A page's text lines, each with the font size and weight of its first letter and
    its baseline; and its top and bottom rows' lines, cut into items at wide gaps (None
    when PDFium's characters do not line up with its text, which happens with
    characters beyond the BMP)."""
    page = pdf[index]
    textpage = page.get_textpage()
    try:
        height = page.get_height()
        count = textpage.count_chars()
        text = textpage.get_text_range() if count > 0 else ""
        aligned = len(text) == count  # char index == string index (no surrogate pairs)
        lines: list[Line] = []
        starts: list[int] = []  # of each line, in the page's text
        raw, origin = textpage.raw, (ctypes.c_double(), ctypes.c_double())  # fewer lookups
        for match in LINE.finditer(text):
            if match.start() == len(text) and match.start() > 0:
                break
            line, start = match.group(1), match.start()
            cuts = _line_end_hyphens(raw, line, start if aligned else None)
            offset = start
            for piece in _cut(line, cuts):  # a piece ends with its hyphen, one character
                style = _style(raw, piece, offset, origin) if aligned else (0.0, 0, None)
                lines.append(Line(piece, *style))
                starts.append(offset)
                offset += len(piece)
        edges = _edges(raw, lines, starts, height) if aligned else None
    finally:
        textpage.close()
        page.close()
    return lines, edges


def _edges(textpage: Any, lines: list[Line], starts: list[int],
           height: float) -> list[EdgeLine]:
    placed = [i for i, line in enumerate(lines) if line.y is not None and line.text.strip()]
    if not placed:
        return []
    top = max(lines[i].y or 0.0 for i in placed)
    bottom = min(lines[i].y or 0.0 for i in placed)
    edges = []
    for i in placed:
        y = lines[i].y or 0.0
        for edge, near, distance in (("top", top - y <= ROW, height - y),
                                     ("bottom", y - bottom <= ROW, y)):
            if near:
                items = _items(textpage, lines[i], starts[i])
                edges.append(EdgeLine(i, edge, round(distance, 1), lines[i].size, items))
    return edges


def _items(textpage: Any, line: Line, start: int) -> tuple[str, ...]:
    """The line's text cut at the spaces wider than its font size (PDFium puts a space
    wherever it sees a gap, so only the characters around spaces are measured)."""
    gap = (line.size or DEFAULT_SIZE) * ITEM_GAP
    text = line.text
    items, begin = [], 0
    for space in SPACES.finditer(text):
        before, after = space.start() - 1, space.end()
        if before < 0 or after >= len(text):
            continue
        if _box(textpage, start + after)[0] - _box(textpage, start + before)[1] > gap:
            items.append(text[begin:space.start()])
            begin = after
    items.append(text[begin:])
    return tuple(" ".join(item.split()) for item in items if item.strip())


def _line_end_hyphens(textpage: Any, line: str, offset: int | None) -> list[int]:
    """Where PDFium joined two lines at a hyphen: its own mark, or a "-" whose next
    letter sits on a lower line. The caller puts the line break back."""
    cuts = []
    for match in HYPHEN.finditer(line):
        index = match.start()
        own_mark = match.group() == PDFIUM_HYPHEN
        if own_mark or (offset is not None
                        and _below(textpage, offset + index, offset + index + 1)):
            cuts.append(index)
    return cuts


def _below(textpage: Any, hyphen: int, following: int) -> bool:
    _, _, hyphen_bottom, _ = _box(textpage, hyphen)
    _, _, _, next_top = _box(textpage, following)
    return next_top < hyphen_bottom


def _box(textpage: Any, index: int) -> tuple[float, float, float, float]:
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    pdfium_c.FPDFText_GetCharBox(textpage, index, left, right, bottom, top)
    return left.value, right.value, bottom.value, top.value


def _cut(line: str, cuts: list[int]) -> list[str]:
    """Split after each hyphen position; PDFium's mark becomes a plain hyphen."""
    pieces, start = [], 0
    for cut in cuts:
        pieces.append(line[start:cut] + "-")
        start = cut + 1
    pieces.append(line[start:])
    return [piece.replace(PDFIUM_HYPHEN, "-") for piece in pieces]


def _style(textpage: Any, line: str, offset: int,
           origin: tuple[ctypes.c_double, ctypes.c_double]) -> tuple[float, int, float | None]:
    """Font size and weight of the line's first letter; baseline of its first character
    (``textpage``: the raw handle; ``origin``: two doubles reused for a page's lines)."""
    placed = FIRST_PLACED.search(line)
    if placed is None:
        return 0.0, 0, None
    x, y = origin
    pdfium_c.FPDFText_GetCharOrigin(textpage, offset + placed.start(), x, y)
    first = FIRST_LETTER.search(line)
    if first is None:
        return 0.0, 0, y.value
    index = offset + first.start()
    size = float(pdfium_c.FPDFText_GetFontSize(textpage, index))
    weight = int(pdfium_c.FPDFText_GetFontWeight(textpage, index))
    return round(size, 1), weight, y.value


def _outline(pdf: pdfium.PdfDocument) -> list[OutlineEntry]:
    entries = []
    for item in pdf.get_toc(max_depth=6):
        dest = item.get_dest()
        page = dest.get_index() if dest is not None else None
        title = " ".join((item.get_title() or "").split())
        if title and page is not None:
            entries.append(OutlineEntry(item.level, title, page))
    return entries


def _title(pdf: pdfium.PdfDocument) -> str | None:
    title = pdf.get_metadata_value("Title") or ""
    return " ".join(str(title).split()) or None


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__

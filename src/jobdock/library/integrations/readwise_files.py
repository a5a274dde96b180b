"""Read a Readwise export file (CSV or JSON, as Readwise writes them) into highlights.

CSV: Readwise's "Export to CSV" header ``Highlight, Book Title, Book Author, Amazon Book
ID, Note, Color, Tags, Location Type, Location, Highlighted at, Document tags`` (a few
older/alternative names are accepted too). JSON: the export API's shape (``{"results":
[book...]}`` or a list of books, each with ``highlights``) or a flat list of highlights.
A malformed file raises :class:`MalformedExport` naming the row or item at fault.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from jobdock.jobs.errors import PermanentError
from jobdock.library.integrations.highlights import (
    Highlight,
    content_id,
    from_api,
    normalise_color,
    parse_location,
)

# Column → the names Readwise (and its older exports) use for it, lower-cased.
CSV_COLUMNS = {
    "text": ("highlight", "text"),
    "title": ("book title", "title", "article title"),
    "author": ("book author", "author"),
    "book_id": ("amazon book id", "book id"),
    "note": ("note",),
    "color": ("color", "colour"),
    "tags": ("tags",),
    "location_type": ("location type",),
    "location": ("location",),
    "highlighted_at": ("highlighted at", "date"),
}


class MalformedExport(PermanentError):
    """The export file cannot be read as Readwise highlights; the message says where."""


def parse_export(data: bytes, filename: str = "") -> list[Highlight]:
    """Highlights from an export file; the format comes from the name, else the content."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MalformedExport(f"{filename or 'the export'} is not UTF-8 text "
                              f"(byte {exc.start})") from None
    if not text.strip():
        raise MalformedExport(f"{filename or 'the export'} is empty")
    name = filename.lower()
    looks_json = text.lstrip()[:1] in "[{"
    if name.endswith(".json") or (not name.endswith(".csv") and looks_json):
        return parse_json(text)
    return parse_csv(text)


def parse_json(text: str) -> list[Highlight]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedExport(f"the JSON export is not valid JSON: {exc.msg} at line "
                              f"{exc.lineno}, column {exc.colno}") from None
    if isinstance(value, dict):
        items = value.get("results", value.get("highlights"))
        if not isinstance(items, list):
            raise MalformedExport('the JSON export has no "results" or "highlights" list')
    elif isinstance(value, list):
        items = value
    else:
        raise MalformedExport("the JSON export is neither a list nor an object")
    highlights: list[Highlight] = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise MalformedExport(f"item {n} of the JSON export is not an object")
        if isinstance(item.get("highlights"), list):
            highlights.extend(_book_highlights(item, n))
        else:
            highlights.append(_checked(from_api(item), f"item {n}"))
    return highlights


def _book_highlights(book: dict[str, Any], n: int) -> list[Highlight]:
    out = []
    title = book.get("title") or f"book {n}"
    for m, item in enumerate(book["highlights"], 1):
        if not isinstance(item, dict):
            raise MalformedExport(f"highlight {m} of {title!r} is not an object")
        out.append(_checked(from_api(item, book), f"highlight {m} of {title!r}"))
    return out


def _checked(highlight: Highlight, where: str) -> Highlight:
    if not highlight.text.strip():
        raise MalformedExport(f"{where} has no text")
    return highlight


def parse_csv(text: str) -> list[Highlight]:
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = {(h or "").strip().lower(): h for h in reader.fieldnames or ()}
        columns = {key: next((header[a] for a in aliases if a in header), None)
                   for key, aliases in CSV_COLUMNS.items()}
        if columns["text"] is None:
            found = ", ".join(h for h in header if h) or "none"
            raise MalformedExport(f'the CSV export has no "Highlight" column (columns: {found})')
        return [_csv_row(row, columns, reader.line_num) for row in reader]
    except csv.Error as exc:
        raise MalformedExport(f"the CSV export cannot be parsed: {exc}") from None


def _csv_row(row: dict[str | None, Any], columns: dict[str, str | None],
             line: int) -> Highlight:
    if None in row:
        raise MalformedExport(f"line {line} of the CSV export has more fields than the header")

    def get(key: str) -> str:
        column = columns[key]
        return str(row.get(column) or "").strip() if column else ""

    text = get("text")
    if not text:
        raise MalformedExport(f"line {line} of the CSV export has no highlight text")
    title, location = get("title"), get("location")
    return Highlight(
        text=text, external_id=content_id(title, text, location), note=get("note"),
        color=normalise_color(get("color")),
        tags=tuple(t.strip() for t in get("tags").split(",") if t.strip()),
        location=parse_location(location), location_type=get("location_type"),
        highlighted_at=get("highlighted_at") or None, book_title=title,
        book_author=get("author"), book_id=get("book_id") or None)

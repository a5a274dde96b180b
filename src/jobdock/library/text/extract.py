"""Bytes → pages of text: pick the format, run its reader, refuse what cannot be read.

The format comes from the file extension, then from the content (``%PDF``, an EPUB
zip, ``<html``), then from the declared content type. A file nobody can read raises
one of the :class:`DocumentError` subclasses with a message fit to show the user.
"""

from __future__ import annotations

import re

from jobdock.library.text.epub_reader import is_epub, read_epub
from jobdock.library.text.errors import EmptyDocument, UnsupportedFormat
from jobdock.library.text.html_reader import html_to_markdown
from jobdock.library.text.model import Extracted, Page
from jobdock.library.text.pdf_reader import read_pdf

EXTENSIONS = {"pdf": "pdf", "epub": "epub", "html": "html", "htm": "html", "xhtml": "html",
              "md": "markdown", "markdown": "markdown", "mdown": "markdown",
              "txt": "text", "text": "text"}
CONTENT_TYPES = {"application/pdf": "pdf", "application/epub+zip": "epub",
                 "text/html": "html", "application/xhtml+xml": "html",
                 "text/markdown": "markdown", "text/x-markdown": "markdown",
                 "text/plain": "text"}
HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b",
                        re.IGNORECASE | re.DOTALL)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
FRONT_TITLE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.MULTILINE)
FIRST_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
SUPPORTED = "PDF, EPUB, HTML, Markdown or plain text"


def extract(data: bytes, filename: str, content_type: str | None = None) -> Extracted:
    """Read ``data`` (named ``filename``) into an :class:`Extracted`."""
    if not data or data.isspace():  # no stripped copy of a large file
        raise EmptyDocument(f"{filename} is empty; upload a file that contains text.")
    kind = detect_format(data, filename, content_type)
    if kind == "pdf":
        title, pages = read_pdf(data, filename)
    elif kind == "epub":
        title, pages = read_epub(data, filename)
    else:
        text = _decode(data, filename)
        title, pages = _TEXT_READERS[kind](text)
    pages = [Page(p.number, p.text) for p in pages]
    if not any(p.text.strip() for p in pages):
        hint = "a scanned PDF has no text layer, so run OCR on it first" if kind == "pdf" \
            else "upload a file that contains text"
        raise EmptyDocument(f"{filename} contains no extractable text (it is empty); {hint}.")
    return Extracted(title=title, pages=pages, format=kind)


def detect_format(data: bytes, filename: str, content_type: str | None = None) -> str:
    """``pdf``, ``epub``, ``html``, ``markdown`` or ``text``; else :class:`UnsupportedFormat`."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    if data.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if is_epub(data):
        return "epub"
    if HTML_START.match(data[:2048]):
        return "html"
    declared = (content_type or "").split(";", 1)[0].strip().lower()
    if declared in CONTENT_TYPES:
        return CONTENT_TYPES[declared]
    raise UnsupportedFormat(f"{filename} is not a supported format; upload a {SUPPORTED} "
                            "file.")


def _decode(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM), else Windows-1252, the usual legacy encoding."""
    if b"\x00" in data[:4096]:
        raise UnsupportedFormat(f"{filename} looks like a binary file, which is not a "
                                f"supported format; upload a {SUPPORTED} file.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_html(text: str) -> tuple[str | None, list[Page]]:
    title, markdown = html_to_markdown(text)
    return title, [Page(1, markdown)]


def _read_markdown(text: str) -> tuple[str | None, list[Page]]:
    """Markdown stays as written; YAML front matter is dropped, its ``title:`` kept."""
    title = None
    match = FRONT_MATTER.match(text)
    if match:
        found = FRONT_TITLE.search(match.group(1))
        title = found.group(1).strip("'\"") if found else None
        text = text[match.end():]
    if title is None:
        heading = FIRST_H1.search(text)
        title = heading.group(1) if heading else None
    return title or None, [Page(1, text)]


def _read_text(text: str) -> tuple[str | None, list[Page]]:
    return None, [Page(1, text)]


_TEXT_READERS = {"html": _read_html, "markdown": _read_markdown, "text": _read_text}

"""PDF → one text page per PDF page, with pypdf (pure Python, BSD)."""

from __future__ import annotations

import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from jobdock.documents.text.errors import CorruptDocument, EncryptedDocument
from jobdock.documents.text.model import Page


def read_pdf(data: bytes, filename: str) -> tuple[str | None, list[Page]]:
    """Return ``(title, pages)``; raise when the PDF is locked or cannot be parsed."""
    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(reader, filename)
        title = _title(reader)
        pages = [Page(number, page.extract_text() or "")
                 for number, page in enumerate(reader.pages, start=1)]
    except EncryptedDocument:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError, AssertionError, ZeroDivisionError) as exc:
        raise CorruptDocument(
            f"{filename} is a corrupt or incomplete PDF ({_reason(exc)}); save or export it "
            "again and upload the new file.") from exc
    return title, pages


def _unlock(reader: PdfReader, filename: str) -> None:
    """Open PDFs that are only owner-locked (empty user password); refuse the rest."""
    if not reader.is_encrypted:
        return
    try:
        opened = bool(reader.decrypt(""))
    except (PyPdfError, NotImplementedError):  # e.g. an algorithm we cannot handle
        opened = False
    if not opened:
        raise EncryptedDocument(
            f"{filename} is encrypted; remove the password and upload it again.")


def _title(reader: PdfReader) -> str | None:
    try:
        meta = reader.metadata
    except PdfReadError:
        return None
    title = (meta.title if meta else None) or ""
    return " ".join(str(title).split()) or None


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__

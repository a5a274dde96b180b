"""Why a document could not be read; each message names the file and what to do.

All are ``ValueError`` subclasses: bad input is a permanent failure, never retried.
"""

from __future__ import annotations


class DocumentError(ValueError):
    """A document that the pipeline cannot turn into text."""


class UnsupportedFormat(DocumentError):
    """Neither the file name nor the content says PDF, EPUB, HTML, Markdown or text."""


class CorruptDocument(DocumentError):
    """The file claims a format but its structure cannot be parsed."""


class EncryptedDocument(DocumentError):
    """The file needs a password (or carries DRM) before its text can be read."""


class EmptyDocument(DocumentError):
    """The file is empty or holds no extractable text (e.g. a scanned image PDF)."""

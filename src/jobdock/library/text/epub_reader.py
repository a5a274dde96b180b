"""EPUB → one page per spine document, in reading order (stdlib zip + XML only).

container.xml names the package (OPF) file; its manifest maps ids to files and its
spine gives the reading order. Each XHTML document goes through the HTML reader.
"""

from __future__ import annotations

import posixpath
import zipfile
from io import BytesIO
from urllib.parse import unquote
from xml.etree import ElementTree

from jobdock.library.text.errors import CorruptDocument, EncryptedDocument
from jobdock.library.text.html_reader import html_to_markdown
from jobdock.library.text.model import Page

NS = {"c": "urn:oasis:names:tc:opendocument:xmlns:container",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "enc": "http://www.w3.org/2001/04/xmlenc#"}
# Font obfuscation is not DRM: the text stays readable.
FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
HTML_TYPES = {"application/xhtml+xml", "text/html"}


def is_epub(data: bytes) -> bool:
    """A ZIP whose first entry is ``mimetype`` = ``application/epub+zip`` (OCF rule)."""
    return data[:2] == b"PK" and b"mimetypeapplication/epub+zip" in data[:100]


def read_epub(data: bytes, filename: str) -> tuple[str | None, list[Page]]:
    """Return ``(title, pages)`` in spine order."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            _refuse_drm(archive, filename)
            opf_path = _package_path(archive)
            package = ElementTree.fromstring(archive.read(opf_path))
            title = _title(package)
            pages: list[Page] = []
            for path in _spine_paths(package, posixpath.dirname(opf_path)):
                html = archive.read(path).decode("utf-8", errors="replace")
                pages.append(Page(len(pages) + 1, html_to_markdown(html)[1]))
    except EncryptedDocument:
        raise
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, OSError,
            EOFError, NotImplementedError) as exc:
        raise CorruptDocument(
            f"{filename} is a corrupt EPUB ({_reason(exc)}); export it again and upload "
            "the new file.") from exc
    return title, pages


def _refuse_drm(archive: zipfile.ZipFile, filename: str) -> None:
    if "META-INF/encryption.xml" not in archive.namelist():
        return
    root = ElementTree.fromstring(archive.read("META-INF/encryption.xml"))
    methods = {m.get("Algorithm", "") for m in root.iter(f"{{{NS['enc']}}}EncryptionMethod")}
    if methods - FONT_OBFUSCATION:
        raise EncryptedDocument(
            f"{filename} is encrypted (DRM-protected); upload a DRM-free copy instead.")


def _package_path(archive: zipfile.ZipFile) -> str:
    container = ElementTree.fromstring(archive.read("META-INF/container.xml"))
    rootfile = container.find("c:rootfiles/c:rootfile", NS)
    if rootfile is None or not rootfile.get("full-path"):
        raise ValueError("container.xml names no package file")
    return str(rootfile.get("full-path"))


def _title(package: ElementTree.Element) -> str | None:
    node = package.find("opf:metadata/dc:title", NS)
    text = " ".join((node.text or "").split()) if node is not None else ""
    return text or None


def _spine_paths(package: ElementTree.Element, base: str) -> list[str]:
    """Archive paths of the spine's (X)HTML documents, in reading order."""
    manifest = {item.get("id"): item for item in package.iterfind("opf:manifest/opf:item", NS)}
    paths = []
    for ref in package.iterfind("opf:spine/opf:itemref", NS):
        item = manifest.get(ref.get("idref"))
        if item is None or item.get("media-type") not in HTML_TYPES:
            continue
        href = unquote(str(item.get("href", "")).split("#", 1)[0])
        paths.append(posixpath.normpath(posixpath.join(base, href)))
    if not paths:
        raise ValueError("the spine lists no readable chapters")
    return paths


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120] or type(exc).__name__

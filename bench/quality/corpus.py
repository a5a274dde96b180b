"""The harness corpus: real documents from Debian packages, fetched into a cache.

Nothing of the corpus is committed. ``fetch`` runs ``apt-get download`` for the pinned
package versions (Debian 12) into ``bench/quality/.cache`` (gitignored), unpacks them
with ``dpkg-deb -x`` and makes reference text with pdftotext (poppler-utils) for PDFs
and pandoc for HTML, EPUB and Markdown; for PDFs also the position of every line
(``pdftotext -bbox-layout``), which tells the reference's running heads from its text.
Each entry records its package, version, path and licence; the licences are those of
the packages' ``copyright`` files. Needs ``apt-get``, ``dpkg-deb``, ``pdftotext`` and
``pandoc`` (``apt-get install poppler-utils pandoc``).
"""

from __future__ import annotations

import gzip
import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CACHE = Path(__file__).with_name(".cache")
ATTRIBUTES = re.compile(r"\s*\{[^}]*\}")  # pandoc's {#id .class}
SPAN = re.compile(r"\[([^\]]*)\]\{[^}]*\}")
CODE = re.compile(r"`([^`]*)`(?:\{[^}]*\})?")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
BBOX_PAGE = re.compile(r"<page\b[^>]*>(.*?)</page>", re.DOTALL)
BBOX_LINE = re.compile(r'<line xMin="[^"]*" yMin="([^"]*)"[^>]*>(.*?)</line>', re.DOTALL)
BBOX_WORD = re.compile(r"<word\b[^>]*>(.*?)</word>", re.DOTALL)


@dataclass(frozen=True)
class Doc:
    name: str
    package: str  # Debian package=version
    path: str  # inside the package
    licence: str
    note: str

    @property
    def kind(self) -> str:
        suffix = self.path.removesuffix(".gz").rsplit(".", 1)[-1]
        return {"htm": "html", "md": "markdown"}.get(suffix, suffix)


TEX = "texlive-latex-base-doc=2022.20230122-3"
DOCS = [
    Doc("r-intro.pdf", "r-doc-pdf=4.2.2.20221110-2", "usr/share/R/doc/manual/R-intro.pdf",
        "GPL-2+ (R manuals; verbatim copies permitted)", "Texinfo manual, '#' code comments"),
    Doc("devref.pdf", "developers-reference=12.18",
        "usr/share/developers-reference/developers-reference.pdf", "GPL-2",
        "Sphinx/LaTeX book (pypdf glued its words)"),
    Doc("maint-guide.pdf", "maint-guide=1.2.53", "usr/share/doc/maint-guide/maint-guide.en.pdf",
        "MIT", "DocBook manual"),
    Doc("debian-reference.pdf", "debian-reference-en=2.100",
        "usr/share/debian-reference/debian-reference.en.pdf", "GPL-2+",
        "261-page DocBook book, shell prompts"),
    Doc("hyperref-slides.pdf", TEX, "usr/share/doc/texlive-doc/latex/hyperref/slides.pdf",
        "LPPL-1.3c", "slide deck"),
    Doc("tugboat-babelbib.pdf", TEX,
        "usr/share/doc/texlive-doc/bibtex/babelbib/tugboat-babelbib.pdf", "LPPL-1.3c",
        "two-column TUGboat article"),
    Doc("hyperref-paper.pdf", TEX, "usr/share/doc/texlive-doc/latex/hyperref/paper.pdf",
        "LPPL-1.3c", "conference paper"),
    Doc("clsguide.pdf", TEX, "usr/share/doc/texlive-doc/latex/base/clsguide.pdf",
        "LPPL-1.3c", "LaTeX guide"),
    Doc("python-controlflow.html", "python3.11-doc=3.11.2-6+deb12u9",
        "usr/share/doc/python3.11/html/tutorial/controlflow.html", "PSF-2.0",
        "Sphinx HTML with pilcrows"),
    Doc("maint-guide.html", "maint-guide=1.2.53",
        "usr/share/doc/maint-guide/html/dreq.en.html", "MIT", "DocBook HTML"),
    Doc("sphinx-quickstart.html", "sphinx-doc=5.3.0-4",
        "usr/share/doc/sphinx-doc/html/usage/quickstart.html", "BSD-2-Clause", "Sphinx HTML"),
    Doc("devref.epub", "developers-reference=12.18",
        "usr/share/developers-reference/developers-reference.epub", "GPL-2", "Sphinx EPUB"),
    Doc("pandoc-readme.md", "pandoc-data=2.17.1.1-2~deb12u1",
        "usr/share/doc/pandoc-data/README.md.gz", "GPL-2+", "Markdown"),
]


def fetch(docs: list[Doc] = DOCS) -> dict[str, Path]:
    """Download and unpack what is missing; return each document's local file."""
    debs, root = CACHE / "debs", CACHE / "root"
    debs.mkdir(parents=True, exist_ok=True)
    for package in sorted({d.package for d in docs}):
        name = package.split("=")[0]
        if not list(debs.glob(f"{name}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=debs, check=True,
                           capture_output=True)
        for deb in debs.glob(f"{name}_*.deb"):
            marker = root / f".{deb.name}"
            if not marker.exists():
                root.mkdir(parents=True, exist_ok=True)
                subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
                marker.touch()
    return {d.name: _plain(root / d.path, d) for d in docs}


def _plain(path: Path, doc: Doc) -> Path:
    """Gzipped documents are unpacked next to the cache's copy."""
    if path.suffix != ".gz":
        return path
    target = CACHE / "files" / doc.name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(path.read_bytes()))
    return target


def reference_text(doc: Doc, path: Path) -> str:
    """pdftotext for PDFs (pages split by form feeds), pandoc's plain text otherwise."""
    target = CACHE / "reference" / f"{doc.name}.txt"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if doc.kind == "pdf":
            command = ["pdftotext", "-enc", "UTF-8", str(path), str(target)]
        else:
            source = {"html": "html", "epub": "epub", "markdown": "markdown"}[doc.kind]
            command = ["pandoc", "-f", source, "-t", "plain", "--wrap=none", str(path),
                       "-o", str(target)]
        if shutil.which(command[0]) is None:
            raise SystemExit(f"{command[0]} is missing: apt-get install poppler-utils pandoc")
        subprocess.run(command, check=True, capture_output=True)
    return target.read_text(encoding="utf-8", errors="replace")


def reference_lines(doc: Doc, path: Path) -> list[list[tuple[float, str]]]:
    """A PDF's lines as pdftotext sees them, each with its top (points from the page top),
    from ``pdftotext -bbox-layout``: where the reference's running heads are."""
    target = CACHE / "reference" / f"{doc.name}.bbox.html"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if shutil.which("pdftotext") is None:
            raise SystemExit("pdftotext is missing: apt-get install poppler-utils")
        subprocess.run(["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(path), str(target)],
                       check=True, capture_output=True)
    return [[(float(top), " ".join(html.unescape(w) for w in BBOX_WORD.findall(words)))
             for top, words in BBOX_LINE.findall(page)]
            for page in BBOX_PAGE.findall(target.read_text(encoding="utf-8", errors="replace"))]


def reference_headings(doc: Doc, path: Path) -> list[tuple[str, int | None]]:
    """The PDF outline with each entry's 0-based target page (read by pypdf, not by the
    reader under test), or pandoc's headings (no page)."""
    if doc.kind == "pdf":
        from pypdf import PdfReader

        titles: list[tuple[str, int | None]] = []

        reader = PdfReader(str(path))

        def walk(items: list) -> None:  # type: ignore[type-arg]
            for item in items:
                if isinstance(item, list):
                    walk(item)
                else:
                    page = _page(reader, item)
                    if page is not None:  # not a bookmark that runs an action
                        titles.append((str(item.title), page if page >= 0 else None))

        walk(reader.outline)
        return titles
    source = {"html": "html", "epub": "epub", "markdown": "markdown"}[doc.kind]
    result = subprocess.run(["pandoc", "-f", source, "-t", "markdown", "--wrap=none",
                             "--markdown-headings=atx", str(path)],
                            check=True, capture_output=True, text=True)
    return [(_plain_title(line.lstrip("#")), None) for line in result.stdout.split("\n")
            if line.startswith("#") and line.lstrip("#").startswith(" ")]


def _page(reader: Any, item: Any) -> int | None:
    try:
        page = reader.get_destination_page_number(item)
    except Exception:  # an action (e.g. "Next page") or a broken destination
        return None
    return None if page is None else int(page)


def _plain_title(markdown: str) -> str:
    """pandoc's heading markup → text: spans, code, links and attributes unwrapped."""
    text = SPAN.sub(r"\1", markdown)
    text = CODE.sub(r"\1", text)
    text = LINK.sub(r"\1", text)
    return ATTRIBUTES.sub("", text).replace("\u00b6", "").strip()

"""PDF extraction speed: our reader against bare PDFium text extraction, same files.

    .venv/bin/python bench/pdf_speed.py FILE.pdf [...] [--runs 5]

Prints pages/s (median of the runs) for PDFium alone (open, text of every page) and for
``extract`` (that plus fonts, outline headings, hyphen checks), and their ratio: on a
shared machine the ratio is the steadier figure.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import pypdfium2 as pdfium

from jobdock.library.text import extract


def bare(data: bytes) -> int:
    pdf = pdfium.PdfDocument(data)
    for index in range(len(pdf)):
        page = pdf[index]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    count = len(pdf)
    pdf.close()
    return count


def ours(data: bytes) -> int:
    return len(extract(data, "x.pdf").pages)


def median_rate(work, data: bytes, runs: int) -> float:  # type: ignore[no-untyped-def]
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        pages = work(data)
        rates.append(pages / (time.perf_counter() - start))
    return statistics.median(rates)


def main(argv: list[str]) -> None:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    files = [Path(a) for a in argv if a.endswith(".pdf")]
    for path in files:
        data = path.read_bytes()
        plain, full = median_rate(bare, data, runs), median_rate(ours, data, runs)
        print(f"{path.name:<32} PDFium alone {plain:7.0f} pages/s   extract {full:7.0f} pages/s"
              f"   ratio {full / plain:4.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

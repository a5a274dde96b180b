"""PDF extraction speed: our reader against bare PDFium text extraction, same files.

    .venv/bin/python bench/pdf_speed.py FILE.pdf [...] [--runs 5] [--cpu]

Prints pages/s (median of the runs) for PDFium alone (open, text of every page) and for
``extract`` (that plus fonts, positions, furniture, outline headings, hyphen checks), and
their ratio: on a shared machine the ratio is the steadier figure. ``--cpu`` divides by
the process's CPU time instead of the wall clock: pages per CPU-second, what the reader
costs whatever else the machine runs. To compare two revisions, run the script with
each one's ``src`` first on ``PYTHONPATH``.
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


def median_rate(work, data: bytes, runs: int,  # type: ignore[no-untyped-def]
                clock=time.perf_counter) -> float:
    rates = []
    for _ in range(runs):
        start = clock()
        pages = work(data)
        rates.append(pages / (clock() - start))
    return statistics.median(rates)


def main(argv: list[str]) -> None:
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 5
    clock = time.process_time if "--cpu" in argv else time.perf_counter
    unit = "pages/CPU-s" if "--cpu" in argv else "pages/s"
    files = [Path(a) for a in argv if a.endswith(".pdf")]
    for path in files:
        data = path.read_bytes()
        plain = median_rate(bare, data, runs, clock)
        full = median_rate(ours, data, runs, clock)
        print(f"{path.name:<32} PDFium alone {plain:7.0f} {unit}   extract {full:7.0f} {unit}"
              f"   ratio {full / plain:4.2f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

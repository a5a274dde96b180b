"""PDFium is not thread-safe, and a worker runs handlers in threads: two PDFs extracted at
once crashed the whole process (SIGSEGV in 1 of 3 runs of this script before the lock).
Each run is a subprocess, so a crash fails the test instead of killing pytest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import sys, threading
from pathlib import Path
from tests.fixtures import make_fixtures
from jobdock.library.text.pdf_reader import iter_pdf_pages, read_pdf

folder = Path(sys.argv[1])
data = []
for n, pages in enumerate((4, 7)):
    make_fixtures.make_pdf(folder / f"{n}.pdf", pages=pages, seed=n)
    data.append((folder / f"{n}.pdf").read_bytes())
expected = [read_pdf(d, "x.pdf") for d in data]
pages_expected = [list(iter_pdf_pages(d, "x.pdf")) for d in data]
wrong = []

def work(k):
    for _ in range(25):
        d = k % 2
        if read_pdf(data[d], "x.pdf") != expected[d]:
            wrong.append("read_pdf")
        if list(iter_pdf_pages(data[d], "x.pdf")) != pages_expected[d]:
            wrong.append("iter_pdf_pages")

sys.setswitchinterval(1e-6)  # switch threads often, as a loaded machine does
threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(wrong))
"""


def test_pdfs_extracted_in_threads_at_once_neither_crash_nor_differ(tmp_path: Path) -> None:
    for run in range(4):
        folder = tmp_path / str(run)
        folder.mkdir()
        done = subprocess.run([sys.executable, "-c", SCRIPT, str(folder)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"run {run}: exit {done.returncode} {done.stderr[-800:]}"
        assert done.stdout.split() == ["0"], done.stdout

"""Peak RSS of ``process_document`` against the source size (issue 12, defect 6).

    .venv/bin/python bench/documents_memory.py 1 20 100 [--kind md|txt|pdf]

For each size (MB) it writes a generated document (prose paragraphs under headings;
``pdf``: a generated handbook, sized by pages), adds it with ``jobdock documents add``
on a fresh SQLite + file storage, and drains the queue with ``jobdock worker --burst
--types process_document`` under ``/usr/bin/time -v`` (the ``detect_connections`` job it
queues is not run). The worker's baseline (the same command on an empty queue)
is subtracted: the figure is what processing the document costs.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WORDS = ["queue", "worker", "lease", "heartbeat", "stage", "handler", "checkpoint", "retry",
         "cursor", "budget", "schema", "signal", "storage", "vector", "thread", "progress",
         "batch", "claim", "index", "event"]
JOBDOCK = str(Path(sys.executable).with_name("jobdock"))
ROOT = Path(__file__).resolve().parents[1]


def write_markdown(path: Path, megabytes: float) -> None:
    rng = random.Random(5)
    target = int(megabytes * 1_000_000)
    with path.open("w") as out:
        written, section = 0, 0
        while written < target:
            section += 1
            block = [f"## Section {section}\n"]
            for _ in range(6):
                words = [rng.choice(WORDS) for _ in range(rng.randint(40, 120))]
                block.append(" ".join(words).capitalize() + ".\n")
            text = "\n".join(block) + "\n"
            out.write(text)
            written += len(text)


def peak_rss_mb(command: list[str], env: dict[str, str]) -> float:
    result = subprocess.run(["/usr/bin/time", "-v", *command], env=env, capture_output=True,
                            text=True, check=True)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    assert found, result.stderr[-500:]
    return int(found.group(1)) / 1024


def measure(megabytes: float, kind: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        env = {**os.environ, "JOBDOCK_DATABASE_URL": f"sqlite:///{root / 'db.sqlite'}",
               "JOBDOCK_STORAGE_URL": str(root / "storage")}
        source = root / f"source.{kind}"
        if kind == "pdf":
            sys.path.insert(0, str(ROOT))
            from tests.fixtures.make_fixtures import make_pdf

            make_pdf(source, pages=int(megabytes))
        else:
            write_markdown(source, megabytes)
        size = source.stat().st_size / 1e6
        subprocess.run([JOBDOCK, "migrate"], env=env, check=True, capture_output=True)
        worker = [JOBDOCK, "worker", "--burst", "-c", "1", "--types", "process_document"]
        baseline = peak_rss_mb(worker, env)
        subprocess.run([JOBDOCK, "documents", "add", str(source)], env=env, check=True,
                       capture_output=True)
        peak = peak_rss_mb(worker, env)
        listing = subprocess.run([JOBDOCK, "documents", "list"], env=env, check=True,
                                 capture_output=True, text=True).stdout
        status = "ready" if "ready" in listing else listing.strip().split("\n")[-1][:80]
        per = f"{(peak - baseline) / megabytes * 1000:6.0f} KB per page" if kind == "pdf" \
            else f"{(peak - baseline) / size:5.1f}x source"
        print(f"{kind} {size:7.1f} MB: worker peak {peak:7.1f} MB, baseline {baseline:6.1f} MB,"
              f" cost {peak - baseline:7.1f} MB = {per} ({status})", flush=True)


if __name__ == "__main__":
    kind = sys.argv[sys.argv.index("--kind") + 1] if "--kind" in sys.argv else "md"
    sizes = [float(a) for a in sys.argv[1:] if re.fullmatch(r"[\d.]+", a)]
    for size in sizes or [1, 20, 100]:
        measure(size, kind)

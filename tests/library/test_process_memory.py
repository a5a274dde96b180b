"""``process_document`` keeps its memory within a few times the source (issue 12, defect 6).

A real worker process drains a queue holding one 12 MB Markdown document; its peak
resident size, less the same worker's on an empty queue, must stay under 5x the file.
Before the stages streamed through work files it was ~22x (the job context held every
stage's result; vectors were Python float lists; ``chunks.json`` and the chunk rows were
built whole).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
SOURCE_MB = 12
MAX_RATIO = 5.0
# Runs a command and prints its peak resident size in KiB: this wrapper's only child.
PEAK = ("import resource, subprocess, sys; "
        "code = subprocess.run(sys.argv[1:]).returncode; "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)")
WORDS = ["queue", "worker", "lease", "heartbeat", "stage", "handler", "checkpoint", "retry",
         "cursor", "budget", "schema", "signal", "storage", "vector", "thread", "progress"]


def write_markdown(path: Path, megabytes: float) -> None:
    """Sections of prose paragraphs under ``##`` headings, ``megabytes`` in all."""
    rng = random.Random(5)
    target = int(megabytes * 1_000_000)
    with path.open("w") as out:
        written = section = 0
        while written < target:
            section += 1
            lines = [f"## Section {section}\n"]
            for _ in range(6):
                words = [rng.choice(WORDS) for _ in range(rng.randint(40, 120))]
                lines.append(" ".join(words).capitalize() + ".\n")
            text = "\n".join(lines) + "\n"
            written += out.write(text)


def cli(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "jobdock.cli.main", "--database-url",
            f"sqlite:///{home / 'db.sqlite'}", "--storage-url", str(home / "storage"), *args]


def peak_mb(command: list[str]) -> float:
    done = subprocess.run([sys.executable, "-c", PEAK, *command], capture_output=True,
                          text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def test_processing_a_big_markdown_file_stays_within_5x_its_size(tmp_path: Path) -> None:
    source = tmp_path / "big.md"
    write_markdown(source, SOURCE_MB)
    size_mb = source.stat().st_size / 1e6
    subprocess.run(cli(tmp_path, "migrate"), check=True, capture_output=True, cwd=ROOT)
    worker = cli(tmp_path, "worker", "--burst", "-c", "1", "--types", "process_document")
    idle = peak_mb(worker)
    subprocess.run(cli(tmp_path, "documents", "add", str(source)), check=True,
                   capture_output=True, cwd=ROOT)
    busy = peak_mb(worker)

    listed = subprocess.run(cli(tmp_path, "documents", "list", "--json"), check=True,
                            capture_output=True, text=True, cwd=ROOT).stdout
    (doc,) = json.loads(listed)
    assert doc["status"] == "completed" and doc["chunk_count"] > 3000
    cost = busy - idle
    print(f"{size_mb:.1f} MB Markdown: peak {busy:.0f} MB, idle {idle:.0f} MB, "
          f"{cost / size_mb:.1f}x the source")
    assert cost <= MAX_RATIO * size_mb, (
        f"processing {size_mb:.1f} MB took {cost:.0f} MB over the idle worker "
        f"({busy:.0f} vs {idle:.0f} MB): {cost / size_mb:.1f}x the source")

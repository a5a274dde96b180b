"""Start real worker processes for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(database_url: str, storage: Path, *args: str,
                 log: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives with the process
    return subprocess.Popen(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url", database_url,
         "--storage-url", str(storage), "--import", "tests.support.jobtypes", "worker",
         "--log-level", "warning", *args],
        cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_until(predicate: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


def read_lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line.strip()]

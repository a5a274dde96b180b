"""Job commands import only what they need: nothing of the document library, numpy, the
PDF stack, onnxruntime or the web stack (they made ``jobdock jobs list`` take seconds)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("jobdock.library", "numpy", "pypdf", "pypdfium2", "onnxruntime", "fastapi",
         "starlette", "uvicorn", "jinja2", "croniter")

# Runs the real entry point, then reports which heavy modules ended up imported.
PROBE = """
import json, sys
from jobdock.cli.main import main
sys.argv = ["jobdock", *sys.argv[1:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
heavy = [m for m in HEAVY if m in sys.modules or any(k.startswith(m + ".") for k in sys.modules)]
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "heavy": heavy}) + "\\n")
"""


def _probe(tmp_path: Path, *args: str) -> dict[str, object]:
    env = {"JOBDOCK_DATABASE_URL": f"sqlite:///{tmp_path / 'jobdock.db'}",
           "JOBDOCK_STORAGE_URL": str(tmp_path / "storage"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    line = [ln for ln in done.stderr.splitlines() if ln.startswith("PROBE ")][-1]
    result: dict[str, object] = json.loads(line.removeprefix("PROBE "))
    result["stdout"] = done.stdout
    return result


@pytest.mark.parametrize("args", [("jobs", "list"), ("jobs", "list", "--json")])
def test_jobs_list_imports_nothing_of_the_library_numpy_pdf_or_web(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    result = _probe(tmp_path, *args)
    assert result["code"] == 0, result
    assert result["heavy"] == []


def test_a_library_command_still_loads_the_library(tmp_path: Path) -> None:
    # The control: the probe does see the library when a command needs it.
    result = _probe(tmp_path, "documents", "--help")
    assert result["code"] == 0, result
    assert "jobdock.library" in result["heavy"]

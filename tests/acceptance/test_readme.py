"""The README's custom job type, run exactly as printed in a fresh folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_blocks(language: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def clean_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JOBDOCK_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path)
    env.pop("PYTHONPATH", None)
    return env


@pytest.mark.slow
def test_readme_custom_job_type_runs_as_printed(tmp_path: Path) -> None:
    module = next(b for b in readme_blocks("python") if b.startswith("# wordcount.py"))
    (tmp_path / "wordcount.py").write_text(module)
    commands = next(b for b in readme_blocks("sh") if "JOBDOCK_IMPORTS=wordcount" in b)
    result = subprocess.run(["bash", "-e", "-c", commands], cwd=tmp_path, env=clean_env(tmp_path),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "completed" in result.stdout, result.stdout
    assert '"words": 5' in result.stdout, result.stdout
    assert "No module named" not in result.stderr


@pytest.mark.slow
def test_readme_python_client_example_runs_as_printed(tmp_path: Path) -> None:
    blocks = readme_blocks("python")
    (tmp_path / "wordcount.py").write_text(next(b for b in blocks
                                                if b.startswith("# wordcount.py")))
    (tmp_path / "count.py").write_text(next(b for b in blocks if b.startswith("# count.py")))
    for name, text in (("a.txt", "one two three\n"), ("b.txt", "four five\n")):
        (tmp_path / name).write_text(text)
    env = {**clean_env(tmp_path), "JOBDOCK_IMPORTS": "wordcount"}
    worker = subprocess.Popen(["jobdock", "worker"], cwd=tmp_path, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        result = subprocess.run([sys.executable, "count.py"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[-3] == "completed 100.0" and lines[-2] == "{'words': 5}" and lines[-1] == "1"

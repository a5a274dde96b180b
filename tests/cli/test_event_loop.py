"""The event loop CLI processes run on: uvloop where installed (a dependency on Linux and
macOS), the standard loop when asked (JOBDOCK_EVENT_LOOP=asyncio), a clear error when
uvloop is insisted on but missing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobdock import eventloop

ROOT = Path(__file__).resolve().parents[2]


async def _loop_module() -> str:
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def test_auto_runs_on_uvloop_where_installed_and_asyncio_when_asked() -> None:
    pytest.importorskip("uvloop", reason="uvloop is a dependency on Linux and macOS")
    assert eventloop.run(_loop_module()) == "uvloop"
    assert eventloop.run(_loop_module(), "uvloop") == "uvloop"
    assert eventloop.run(_loop_module(), "asyncio") == "asyncio"


def test_insisting_on_a_missing_uvloop_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    real = eventloop.importlib.util.find_spec
    monkeypatch.setattr(eventloop.importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvloop" else real(name, *a))
    with pytest.raises(eventloop.EventLoopUnavailable, match="uvloop is not installed"):
        eventloop.uses_uvloop("uvloop")
    assert not eventloop.uses_uvloop("auto")  # auto falls back to the standard loop


@pytest.mark.parametrize(("choice", "expected"), [(None, "uvloop"), ("asyncio", "asyncio")])
def test_the_worker_says_which_loop_it_runs_on(tmp_path: Path, choice: str | None,
                                               expected: str) -> None:
    pytest.importorskip("uvloop", reason="uvloop is a dependency on Linux and macOS")
    env = {k: v for k, v in os.environ.items() if k != "JOBDOCK_EVENT_LOOP"}
    if choice:
        env["JOBDOCK_EVENT_LOOP"] = choice
    result = subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "s"),
         "worker", "--burst"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"{expected} loop)" in result.stderr


def test_an_unknown_choice_is_refused_with_the_choices(tmp_path: Path) -> None:
    env = dict(os.environ, JOBDOCK_EVENT_LOOP="trio")
    result = subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "jobs", "list"],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "JOBDOCK_EVENT_LOOP='trio'" in result.stderr and "asyncio" in result.stderr

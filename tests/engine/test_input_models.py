"""Issue 14, item 11: job types declare their input; bad input is refused at submit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from jobdock.admin import InvalidRequest
from jobdock.app import Dock
from jobdock.jobs.model import NewJob
from jobdock.jobs.registry import Registry

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url",
         f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "s"), *args],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)


class Resize(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    width: int = 640


def test_a_declared_model_validates_coerces_and_keeps_what_was_set() -> None:
    from jobdock.admin import AdminService

    registry = Registry()
    registry.job_type("resize", input=Resize)(lambda ctx: None)
    admin = AdminService(None, None, registry)  # type: ignore[arg-type]  # validate only
    ok = admin.validate(NewJob("resize", {"path": "a.png", "width": "320"}))
    assert ok.input_data == {"path": "a.png", "width": 320}
    for bad, fragment in (({}, "path: Field required"),
                          ({"path": "a", "width": "wide"}, "width: Input should be a valid"),
                          ({"path": "a", "hieght": 3}, "hieght: Extra inputs")):
        with pytest.raises(InvalidRequest, match=fragment):
            admin.validate(NewJob("resize", bad))


async def test_staged_sleep_refuses_a_non_number_at_submit(dock: Dock) -> None:
    with pytest.raises(InvalidRequest, match="invalid input for staged_sleep: stages"):
        await dock.admin.submit(NewJob("staged_sleep", {"stages": "x"}))
    assert sum((await dock.admin.counts()).values()) == 0


def test_cli_refuses_bad_input_with_exit_2_and_lists_types(tmp_path: Path) -> None:
    refused = cli(tmp_path, "submit", "staged_sleep", "--input", '{"stages": "x"}')
    assert refused.returncode == 2 and "stages" in refused.stderr
    assert "Traceback" not in refused.stderr
    listed = cli(tmp_path, "types")
    assert listed.returncode == 0
    assert "staged_sleep  Staged sleep (diagnostic)" in listed.stdout
    assert "stages: int (default 8)" in listed.stdout and "part8" in listed.stdout
    described = {t["name"]: t for t in json.loads(cli(tmp_path, "types", "--json").stdout)}
    assert described["staged_sleep"]["input_template"]["stages"] == 8
    assert described["noop"]["input"] is None

"""The CLI as a person uses it: exit codes, one-line errors, --json with DESIGN.md names."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from jobdock.jobs.model import JOB_FIELDS

ROOT = Path(__file__).resolve().parents[2]


def jobdock(*args: str, db: str, storage: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdock.cli.main", "--database-url", db,
         "--storage-url", str(storage), *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture
def cli(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return lambda *args: jobdock(*args, db=database_url, storage=tmp_path / "storage")


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("args", [
    ("submit", "no_such_type"),
    ("submit", "staged_sleep", "--input", "{not json"),
    ("submit", "staged_sleep", "--input", "[1, 2]"),
])
def test_bad_submit_is_refused_with_exit_2_and_nothing_inserted(cli, args) -> None:  # type: ignore[no-untyped-def]
    result = cli(*args)
    assert result.returncode == 2
    assert _one_line_error(result).startswith("error:")
    listed = cli("jobs", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_submit_list_show_json_use_design_field_names(cli) -> None:  # type: ignore[no-untyped-def]
    submitted = cli("submit", "staged_sleep", "--input", '{"stages": 2}', "--user-id", "ann",
                    "--priority", "5", "--max-retries", "1")
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    shown = json.loads(cli("jobs", "show", job_id, "--json").stdout)
    assert list(shown) == list(JOB_FIELDS)
    assert (shown["id"], shown["user_id"], shown["priority"], shown["max_retries"]) == \
        (job_id, "ann", 5, 1)
    listed = json.loads(cli("jobs", "list", "--json", "--user-id", "ann").stdout)
    assert [j["id"] for j in listed] == [job_id]
    assert json.loads(cli("jobs", "list", "--json", "--user-id", "bob").stdout) == []


def test_unknown_job_id_is_a_one_line_error(cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("jobs", "show", "00000000-0000-0000-0000-000000000000")
    assert result.returncode == 2 and "no job" in _one_line_error(result)


def test_unreachable_database_is_a_one_line_error(tmp_path: Path) -> None:
    result = jobdock("jobs", "list", db="postgresql://postgres@127.0.0.1:9/nope",
                     storage=tmp_path)
    assert result.returncode == 1
    assert "cannot connect" in _one_line_error(result)


def test_burst_worker_runs_a_submitted_job(cli) -> None:  # type: ignore[no-untyped-def]
    job_id = cli("submit", "staged_sleep", "--input",
                 '{"stages": 2, "steps_per_stage": 2, "step_seconds": 0}').stdout.strip()
    assert cli("worker", "--burst").returncode == 0
    shown = json.loads(cli("jobs", "show", job_id, "--json").stdout)
    assert shown["status"] == "completed" and len(shown["output_data"]["digest"]) == 64


def test_show_into_a_pipe_is_plain_lines_without_padding(cli) -> None:  # type: ignore[no-untyped-def]
    job_id = cli("submit", "staged_sleep", "--input", '{"stages": 2}').stdout.strip()
    shown = cli("jobs", "show", job_id)
    lines = shown.stdout.splitlines()
    assert shown.returncode == 0 and lines[0].split() == ["id", job_id]
    assert [ln for ln in lines if ln != ln.rstrip()] == []  # no padding to the terminal width
    assert ["status", "pending"] in [ln.split() for ln in lines]
    assert '"stages": 2' in shown.stdout and "\x1b[" not in shown.stdout

"""The CLI for schedules, limits, workers, bulk actions and feature flags on submit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import jobdock


@pytest.fixture
def cli(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    return lambda *args: jobdock(*args, db=sqlite_url, storage=tmp_path / "storage")


def test_schedules_limits_workers_and_bulk_from_the_command_line(cli) -> None:  # type: ignore[no-untyped-def]
    added = cli("schedules", "add", "nightly", "noop", "--cron", "0 3 * * *",
                "--timezone", "Europe/Paris")
    assert added.returncode == 0, added.stderr
    listed = json.loads(cli("schedules", "list", "--json").stdout)
    assert [(s["name"], s["cron"], s["timezone"]) for s in listed] == [
        ("nightly", "0 3 * * *", "Europe/Paris")]
    assert cli("schedules", "pause", "nightly").returncode == 0
    assert json.loads(cli("schedules", "list", "--json").stdout)[0]["paused_at"]
    refused = cli("schedules", "pause", "nope")
    assert refused.returncode == 2 and "no schedule named 'nope'" in refused.stderr

    assert cli("limits", "set", "queue", "imports", "--max", "2", "--fair").returncode == 0
    assert json.loads(cli("limits", "list", "--json").stdout)[0]["fair"] is True
    # into a pipe: one tab-separated line per row, nothing cut, no table drawing
    for command, first_fields in ((("schedules", "list"), ["nightly", "noop"]),
                                  (("limits", "list"), ["queue", "imports", "2"])):
        piped = cli(*command).stdout
        assert piped.count("\n") == 1 and piped.split("\t")[:len(first_fields)] == \
            first_fields, piped
        assert not set(piped) & set("│┃━─…"), piped

    first = cli("submit", "noop", "--unique-key", "k1").stdout.strip()
    again = cli("submit", "noop", "--unique-key", "k1").stdout.strip()
    child = cli("submit", "noop", "--after", first).stdout.strip()
    assert first == again and child != first
    paused = cli("jobs", "bulk", "pause", "--type", "noop", "--json")
    assert json.loads(paused.stdout)["done"] == 2, paused.stderr  # the parent and the child
    assert json.loads(cli("workers", "--json").stdout) == []

"""The deployment files in ``deploy/`` and ``docs/deployment.md``, checked as far as this
machine can: systemd units with ``systemd-analyze verify``, the compose file against the
Compose specification, and every jobdock command in them against the real CLI."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from jobdock.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALLED = "/opt/jobdock/venv/bin/jobdock"  # where the units expect the venv


def cli_accepts(args: list[str]) -> None:
    """The jobdock CLI parses these arguments (``--help`` stops it before any work)."""
    done = subprocess.run([sys.executable, "-m", "jobdock.cli.main", *args, "--help"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, f"jobdock {' '.join(args)}: {done.stderr or done.stdout}"


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_there_are_units_for_worker_web_and_migrations() -> None:
    names = {u.name for u in UNITS}
    assert {"jobdock-worker@.service", "jobdock-web.service", "jobdock-migrate.service"} <= names


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_units_verify(tmp_path: Path) -> None:
    # verify insists the command exists: point the units at this checkout's venv
    jobdock = Path(sys.executable).parent / "jobdock"
    for unit in UNITS:
        text = unit.read_text().replace(INSTALLED, str(jobdock))
        name = unit.name.replace("@.service", "@1.service")  # an instance of a template
        (tmp_path / name).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", "--man=no",
                           *sorted(str(p) for p in tmp_path.iterdir())],
                          capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def test_unit_commands_are_real_jobdock_commands() -> None:
    for unit in UNITS:
        line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
        argv = shlex.split(line.removeprefix("ExecStart="))
        assert argv[0] == INSTALLED, unit.name
        cli_accepts(argv[1:])


def test_compose_file_follows_the_compose_spec() -> None:
    from compose_spec import PyCompose

    # PyYAML resolves the file's merge keys (<<) as Compose does; then the spec check
    parsed = PyCompose.from_json(json.dumps(compose()))
    assert {"postgres", "objectstore", "migrate", "worker", "web"} <= set(parsed.service_names())


def test_compose_file_is_rejected_when_wrong() -> None:
    """The check above can fail: a misspelt key is refused."""
    from compose_spec import PyCompose

    spec = compose()
    spec["services"]["worker"]["stop_grace"] = "40s"
    with pytest.raises(ValueError, match="stop_grace"):
        PyCompose.from_json(json.dumps(spec))


def test_compose_services_run_real_commands_with_known_settings() -> None:
    spec = compose()
    known = {f"JOBDOCK_{name.upper()}" for name in Settings.model_fields}
    services = spec["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        if service.get("image") != "jobdock:latest":
            continue
        unknown = {k for k in service["environment"] if k.startswith("JOBDOCK_")} - known
        assert not unknown, f"{name}: settings jobdock does not read: {unknown}"
        cli_accepts(service["command"])
    assert services["worker"]["deploy"]["replicas"] >= 2


def test_containerfile_copies_what_exists_and_runs_jobdock() -> None:
    lines = [x for x in (DEPLOY / "Containerfile").read_text().splitlines()
             if x and not x.startswith("#")]
    for line in lines:
        if line.startswith("COPY "):
            *sources, _ = line.split()[1:]
            assert all((ROOT / s).exists() for s in sources), line
    entry = json.loads(next(x for x in lines if x.startswith("ENTRYPOINT ")).split(" ", 1)[1])
    command = json.loads(next(x for x in lines if x.startswith("CMD ")).split(" ", 1)[1])
    assert entry == ["jobdock"]
    cli_accepts(command)


def test_docs_cover_every_setting_and_the_example_env_file() -> None:
    docs = (ROOT / "docs" / "deployment.md").read_text()
    for name in Settings.model_fields:
        assert f"JOBDOCK_{name.upper()}" in docs, f"settings reference lacks JOBDOCK_{name.upper()}"
    example = (DEPLOY / "jobdock.env.example").read_text()
    keys = set(re.findall(r"^(JOBDOCK_\w+)=", example, re.MULTILINE))
    assert keys <= {f"JOBDOCK_{n.upper()}" for n in Settings.model_fields}
    for path in re.findall(r"\(\.\./(deploy/[\w@./-]+)\)", docs):
        assert (ROOT / path).exists(), f"docs link to a missing file {path}"

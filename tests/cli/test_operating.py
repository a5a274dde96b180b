"""Issue 14, item 10: running ``serve`` and ``jobs watch`` as an operator meets them."""

from __future__ import annotations

import os
import pty
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def jobdock_cmd(db: str, tmp_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "jobdock.cli.main", "--database-url", db,
            "--storage-url", str(tmp_path / "storage"), *args]


def read_until(stream_fd: int, needle: str, deadline: float) -> str:
    """Read from a file descriptor until ``needle`` shows up or the deadline passes."""
    seen = ""
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([stream_fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(stream_fd, 65536).decode(errors="replace")
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_make_run_takes_a_port() -> None:
    dry = subprocess.run(["make", "-n", "run", "PORT=8080"], cwd=ROOT, capture_output=True,
                         text=True, timeout=30)
    assert "jobdock serve --host 127.0.0.1 --port 8080" in dry.stdout


def test_a_port_clash_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            jobdock_cmd(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, "serve", "--port",
                        str(port)), capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 1
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in lines[0] and "--port" in lines[0]


def _start_serve(cmd: list[str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    assert proc.stdout is not None
    first = read_until(proc.stdout.fileno(), "\n", time.monotonic() + 60)
    return proc, first


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def test_serve_logs_each_job_at_info(tmp_path: Path) -> None:
    proc, first = _start_serve(jobdock_cmd(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                                           "serve", "--port", "0", "--log-level", "info"),
                               tmp_path)
    try:
        assert "(with a worker)" in first, first
        url = first.split("at ")[1].split()[0]
        job = httpx.post(f"{url}/api/jobs", json={"job_type": "noop"}).json()["id"]
        assert proc.stderr is not None
        logged = read_until(proc.stderr.fileno(), f"job {job} completed",
                            time.monotonic() + 60)
        # one line per job, at its end, with the type and how long it ran
        assert f"job {job} completed: noop in " in logged
        assert f"job {job} started" not in logged  # DEBUG
    finally:
        _stop(proc)


def test_serve_on_postgres_says_it_runs_no_worker(pg_url: str, tmp_path: Path) -> None:
    proc, first = _start_serve(jobdock_cmd(pg_url, tmp_path, "serve", "--port", "0"), tmp_path)
    try:
        assert "no worker in this process" in first and "jobdock worker" in first, first
    finally:
        _stop(proc)


def test_watch_with_nothing_active_says_so(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "TERM": "xterm"}
    proc = subprocess.Popen(jobdock_cmd(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                                        "jobs", "watch"),
                            stdout=follower, stderr=follower, stdin=subprocess.DEVNULL,
                            cwd=tmp_path, env=env)
    os.close(follower)
    try:
        seen = read_until(leader, "No active jobs", time.monotonic() + 60)
        assert "No active jobs" in seen, seen
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        os.close(leader)


@pytest.mark.parametrize("level", ["loud"])
def test_serve_refuses_an_unknown_log_level(tmp_path: Path, level: str) -> None:
    result = subprocess.run(jobdock_cmd(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path,
                                        "serve", "--log-level", level),
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 2 and "--log-level" in result.stderr


def test_waiting_into_a_pipe_prints_one_plain_line_per_change(tmp_path: Path) -> None:
    """``documents add --run`` (and ``jobs watch``) piped: no progress bars glued together
    without newlines, but plain lines a script can grep."""
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    files = []
    for name in ("first", "second"):
        files.append(tmp_path / f"{name}.md")
        files[-1].write_text(f"# {name}\n\nSome words about {name} things.\n")
    result = subprocess.run(jobdock_cmd(db, tmp_path, "documents", "add", "--run",
                                        *map(str, files)),
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout and "━" not in result.stdout
    lines = result.stdout.splitlines()
    done = [line for line in lines if "process_document" in line and "completed" in line]
    assert len(done) == 2, result.stdout
    assert all(line.split()[0] in {"first.md:", "second.md:"} or "process_document" in line
               for line in lines), result.stdout
    job_id = lines[0].rsplit("job ", 1)[1]
    watched = subprocess.run(jobdock_cmd(db, tmp_path, "jobs", "watch", job_id),
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert watched.returncode == 0
    assert watched.stdout.endswith("\n") and len(watched.stdout.splitlines()) == 1
    assert watched.stdout.split()[:3] == [job_id[-8:], "process_document", "completed"]

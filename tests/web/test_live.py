"""The event stream and ``serve``: changes reach a client; the address is printed."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from jobdock.events import EventBus
from jobdock.events.bus import JobEvent
from jobdock.web.sse import job_changes
from tests.support.web import LiveServer

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


async def test_stream_starts_with_a_change_then_coalesces() -> None:
    bus = EventBus()
    stream = job_changes(bus, window=0.05)
    first = await anext(stream)
    assert first["event"] == "change" and first["retry"] == 1000
    for job_id in ("a", "b", "a"):
        bus.publish(JobEvent("update", job_id, "processing"))
    bus.publish(JobEvent("queue"))
    messages = [await asyncio.wait_for(anext(stream), 2) for _ in range(3)]
    assert messages[0] == {"event": "change", "data": json.dumps(["a", "b"])}
    assert [m["event"] for m in messages[1:]] == ["job-a", "job-b"]
    await stream.aclose()


def test_a_change_reaches_the_stream_within_a_second(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, timeout=10) as client, \
            client.stream("GET", "/events") as events:
        lines = events.iter_lines()
        assert next(lines) == "event: change"
        started = time.monotonic()
        job_id = client.post("/api/jobs", json={"job_type": "noop"}).json()["id"]
        for line in lines:
            if line == f"event: job-{job_id}":
                break
        assert time.monotonic() - started < 1.0


def test_serve_prints_its_address_and_serves(tmp_path: Path) -> None:
    code = ("from jobdock.web.server import serve; from jobdock.settings import Settings; "
            f"serve(Settings(home={str(tmp_path)!r}), port=0)")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.match(r"jobdock UI at (http://127\.0\.0\.1:\d+) \(with a worker\)$",
                         line.strip())
        assert match, line + (proc.stderr.read() if proc.poll() is not None and proc.stderr
                              else "")
        assert httpx.get(match.group(1) + "/jobs", timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    assert proc.returncode == 0


def test_serve_refuses_an_open_bind_without_a_token(tmp_path: Path) -> None:
    code = ("from jobdock.web.server import serve; from jobdock.settings import Settings; "
            f"serve(Settings(home={str(tmp_path)!r}), host='0.0.0.0', port=0)")
    env = {k: v for k, v in os.environ.items() if k != "JOBDOCK_ADMIN_TOKEN"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "JOBDOCK_ADMIN_TOKEN" in done.stderr

"""The example extension (tests/support/notes_ext) adds a table, a job type, a page and a
CLI command through the public extension API, without any engine change."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import httpx

from jobdock.app import Dock
from jobdock.jobs.model import JobStatus, NewJob
from jobdock.settings import Settings
from jobdock.store.queries import migration_files
from jobdock.web.app import create_app
from jobdock.worker import WorkerSettings
from tests.support.notes_ext import NoteStore

EXTENSION = "tests.support.notes_ext"
ROOT = Path(__file__).resolve().parents[2]
FAST = WorkerSettings(burst=True, sync_interval=0.01, poll_interval=0.02,
                      heartbeat_interval=0.05, maintenance=False)


def _with_extension(settings: Settings) -> Settings:
    return settings.model_copy(update={"imports": [EXTENSION]})


async def test_its_table_job_type_service_and_storage_prefix_work(settings: Settings) -> None:
    dock = await Dock.open(_with_extension(settings), migrate=False)
    try:
        engine = [v for v, _ in migration_files(dock.store.dialect)]
        applied = await dock.migrate()  # the engine's, the library's, …, then its own
        assert applied[:len(engine)] == engine and applied[-1] == "notes/0001_notes"
        assert "library/0001_documents" in applied
        assert "count_note_words" in dock.registry
        note = await NoteStore(dock.store).add("one two three four", dock.clock.now())
        job = await dock.admin.submit(NewJob("count_note_words", entity_type="note",
                                             entity_id=note["id"]))
        await asyncio.wait_for(dock.worker(FAST).run(), 60)
        done = await dock.admin.get_job(job.id)
        assert done.status is JobStatus.COMPLETED, done.error_message
        assert done.output_data == {"words": 4}
        assert (await NoteStore(dock.store).get(note["id"]))["word_count"] == 4
        assert dock.storage.get(f"notes/{note['id']}/words.json") is not None
    finally:
        await dock.close()


async def test_its_page_and_nav_entry_are_served(settings: Settings) -> None:
    dock = await Dock.open(_with_extension(settings))
    try:
        await NoteStore(dock.store).add("hello from a note", dock.clock.now())
        app = create_app(dock, allowed_hosts=["testserver"])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            page = await c.get("/notes")
            jobs = await c.get("/jobs")
        assert page.status_code == 200 and "hello from a note" in page.text
        assert 'href="/notes" class="current"' in page.text
        assert 'href="/notes"' in jobs.text  # the nav entry is on every page
    finally:
        await dock.close()


def test_its_cli_command_runs(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "jobdock.cli.main", "--database-url",
            f"sqlite:///{tmp_path / 'db.sqlite'}", "--storage-url", str(tmp_path / "s"),
            "--import", EXTENSION]
    added = subprocess.run([*base, "notes", "add", "a b c"], capture_output=True, text=True,
                           cwd=ROOT, timeout=120)
    assert added.returncode == 0, added.stderr
    queued = json.loads(added.stdout)
    listed = subprocess.run([*base, "notes", "list"], capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert [n["id"] for n in json.loads(listed.stdout)] == [queued["note"]]
    without = subprocess.run([*base[:-2], "notes", "list"], capture_output=True, text=True,
                             cwd=ROOT, timeout=120)
    assert without.returncode == 2  # not loaded: no such command

"""An example extension, written only against jobdock's public API (no engine edits).

It adds a table (``notes``, its own migration sequence), a typed service, a job type
with its own storage prefix (``count_note_words``), a page (``/notes`` with a nav
entry) and a CLI command (``jobdock notes add|list``). Load it like any job module:
``jobdock --import tests.support.notes_ext …`` or ``JOBDOCK_IMPORTS``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobdock import JobContext
from jobdock.extensions import Extension, NavEntry, ServiceEnv, bind
from jobdock.jobs.model import Job
from jobdock.jobs.registry import Registry
from jobdock.jobs.services import LoopBridge, ServiceKey
from jobdock.store import MigrationSet, Store
from jobdock.store.queries import load_queries

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter

PACKAGE = "tests.support.notes_ext.store"
HERE = Path(__file__).parent


class NoteStore:
    """The extension's own store: its named queries, run through the engine's Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries = load_queries(store.dialect, PACKAGE)

    async def add(self, body: str, now: Any) -> dict[str, Any]:
        rows = await self.store.execute(self.queries["note_insert"], {
            "id": str(uuid.uuid4()), "body": body, "now": self.store.enc_time(now)})
        return rows[0]

    async def get(self, note_id: str) -> dict[str, Any] | None:
        rows = await self.store.execute(self.queries["note_get"], {"id": note_id})
        return rows[0] if rows else None

    async def list(self) -> list[dict[str, Any]]:
        return await self.store.execute(self.queries["note_list"], {})

    async def set_words(self, note_id: str, word_count: int) -> None:
        await self.store.execute(self.queries["note_set_words"],
                                 {"id": note_id, "word_count": word_count})


class Notes:
    """What handlers get from ``ctx.service(NOTES)``: blocking calls over the bridge."""

    def __init__(self, notes: NoteStore, bridge: LoopBridge) -> None:
        self.notes = notes
        self.bridge = bridge

    def body(self, note_id: str) -> str:
        note = self.bridge.call(self.notes.get(note_id))
        if note is None:
            raise LookupError(f"no note {note_id}")
        return str(note["body"])

    def set_words(self, note_id: str, word_count: int) -> None:
        self.bridge.call(self.notes.set_words(note_id, word_count))


NOTES: ServiceKey[Notes] = ServiceKey("notes")


def _notes_for_worker(env: ServiceEnv) -> Notes:
    return Notes(NoteStore(env.store), env.bridge)


def note_prefix(job: Job) -> str:
    return f"notes/{job.entity_id or job.id}"


def count_note_words(ctx: JobContext) -> dict[str, int]:
    notes = ctx.service(NOTES)  # typed: Notes
    note_id = str(ctx.job.entity_id)
    words = ctx.run_stage("count", lambda: len(notes.body(note_id).split()))
    ctx.save_stage_result("words", {"words": words}, final=True)
    notes.set_words(note_id, words)
    return {"words": words}


def _register(registry: Registry) -> None:
    registry.job_type("count_note_words", label="Counting a note's words", stages=["count"],
                      storage_prefix=note_prefix)(count_note_words)


def _router() -> APIRouter:
    from tests.support.notes_ext.web import router

    return router


def _cli() -> typer.Typer:
    from tests.support.notes_ext.cli import app

    return app


extension = Extension(
    name="notes",
    description="Example: notes with a word count.",
    register=_register,
    migrations=MigrationSet("notes", PACKAGE),
    services=[bind(NOTES, _notes_for_worker)],
    router=_router,
    templates=HERE / "templates",
    nav=[NavEntry("Notes", "/notes", page="notes")],
    cli=_cli,
    cli_name="notes",
)

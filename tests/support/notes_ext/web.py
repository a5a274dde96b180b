"""The example extension's page (imported only when the web app is built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jobdock.web.context import dock_of, render
from tests.support.notes_ext import NoteStore

router = APIRouter(include_in_schema=False)


@router.get("/notes")
async def notes_page(request: Request) -> Response:
    notes = await NoteStore(dock_of(request).store).list()
    return render(request, "notes.html", {"notes": notes, "page": "notes"})

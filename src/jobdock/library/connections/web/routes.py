"""The Library's document page (its text and its connections; the list is the
library's own ``/library``) and the JSON API for connections."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from jobdock.admin import InvalidRequest
from jobdock.library.connections.model import CONTRADICTION, SEMANTIC, THEMATIC
from jobdock.library.connections.service import ConnectionService
from jobdock.library.connections.weights import DEFAULT_PRESET, PRESETS
from jobdock.library.store.repository import DocumentStore
from jobdock.web.context import dock_of, render
from jobdock.web.pages import one_line

router = APIRouter()
ENGINE_LABELS = {SEMANTIC: "Semantic similarity", CONTRADICTION: "Contradiction",
                 THEMATIC: "Thematic bridge"}


def _service(request: Request) -> ConnectionService:
    return ConnectionService.of(dock_of(request))


def _error(exc: InvalidRequest) -> JSONResponse:
    return JSONResponse({"detail": one_line(exc)}, status_code=404 if "no " in str(exc)
                        else 422)


@router.get("/library/documents/{document_id}", include_in_schema=False)
async def document_page(request: Request, document_id: str,
                        preset: str = DEFAULT_PRESET) -> Response:
    service = _service(request)
    try:
        document = await service.document(document_id)
        ranked = await service.for_document(document_id, preset=preset)
    except (InvalidRequest, ValueError) as exc:
        return render(request, "error.html", {"message": one_line(exc)}, status_code=404)
    groups = await service.grouped(document_id)
    chunks = await DocumentStore(dock_of(request).store).chunk_list(document_id)
    return render(request, "library_document.html", {
        "page": "library", "document": document, "chunks": chunks, "ranked": ranked,
        "groups": groups, "total": sum(len(g) for g in groups.values()), "preset": preset,
        "presets": list(PRESETS), "engine_labels": ENGINE_LABELS,
        "back": f"/library/documents/{document_id}?preset={preset}"})


@router.post("/library/connections/{connection_id}/review", include_in_schema=False)
async def review_form(request: Request, connection_id: str, value: str = Form(""),
                      back: str = Form("/library")) -> Response:
    await _service(request).review(connection_id, _tri_state(value))
    target = back if urlsplit(back).netloc == "" and back.startswith("/") else "/library"
    return RedirectResponse(target, status_code=303)


@router.post("/library/documents/{document_id}/detect", include_in_schema=False)
async def detect_form(request: Request, document_id: str) -> Response:
    job = await _service(request).detect(document_id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/library/documents/{document_id}/reprocess", include_in_schema=False)
async def reprocess_form(request: Request, document_id: str,
                         mode: str = Form("smart")) -> Response:
    job = await _service(request).reprocess(document_id, mode)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/api/library/documents/{document_id}/connections", tags=["connections"])
async def list_api(request: Request, document_id: str, engine: str | None = None,
                   preset: str = Query(DEFAULT_PRESET)) -> JSONResponse:
    """A document's connections, seen from it, ranked by a weight preset."""
    try:
        conns = await _service(request).for_document(document_id, engine, preset)
    except (InvalidRequest, ValueError) as exc:
        return _error(InvalidRequest(str(exc)))
    return JSONResponse({"document_id": document_id, "preset": preset, "connections": conns})


@router.post("/api/library/connections/{connection_id}/review", tags=["connections"])
async def review_api(request: Request, connection_id: str,
                     body: dict[str, Any] = Body(...)) -> JSONResponse:
    """Set ``user_validated``: ``{"value": true | false | null}``."""
    value = body.get("value")
    if value not in (True, False, None):
        return JSONResponse({"detail": "value must be true, false or null"}, status_code=422)
    try:
        row = await _service(request).review(connection_id, value)
    except InvalidRequest as exc:
        return _error(exc)
    return JSONResponse(row)


@router.post("/api/library/documents/{document_id}/connections/detect", status_code=201,
             tags=["connections"])
async def detect_api(request: Request, document_id: str,
                     body: dict[str, Any] | None = Body(None)) -> JSONResponse:
    """Start ``detect_connections``; ``{"engines": [...]}`` optional."""
    try:
        job = await _service(request).detect(document_id, (body or {}).get("engines"))
    except InvalidRequest as exc:
        return _error(exc)
    return JSONResponse({"job": job.to_dict()}, status_code=201)


@router.post("/api/library/documents/{document_id}/connections/reprocess", status_code=201,
             tags=["connections"])
async def reprocess_api(request: Request, document_id: str,
                        body: dict[str, Any] = Body(...)) -> JSONResponse:
    """Start ``reprocess_connections``: ``{"mode": "all|smart|add_new", "engines": [...],
    "preserveValidated": true, "backupFirst": true}``."""
    try:
        job = await _service(request).reprocess(
            document_id, str(body.get("mode", "smart")), body.get("engines"),
            bool(body.get("preserveValidated", True)), bool(body.get("backupFirst", True)))
    except InvalidRequest as exc:
        return _error(exc)
    return JSONResponse({"job": job.to_dict()}, status_code=201)


def _tri_state(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.strip().lower())

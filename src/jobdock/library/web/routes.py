"""Documents in the web UI and the JSON API: upload (starts ``process_document``), the
Library list, delete, and export (``export_documents``, with or without connections)."""

from __future__ import annotations

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from jobdock.admin import InvalidRequest
from jobdock.jobs.model import Job
from jobdock.library.rows import DocumentRow
from jobdock.library.service import MAX_SOURCE_BYTES, DocumentService, TooLarge, UnsupportedType
from jobdock.web.context import dock_of, render
from jobdock.web.pages import one_line, submit_context

router = APIRouter()
EMBEDDERS = ("hashing", "minilm")


async def _add(request: Request, file: UploadFile, user_id: str,
               embedder: str) -> tuple[DocumentRow, Job]:
    if embedder not in EMBEDDERS:
        raise InvalidRequest(f"unknown embedder {embedder!r} (use {', '.join(EMBEDDERS)})")
    data = await file.read(MAX_SOURCE_BYTES + 1)
    if not data:
        raise InvalidRequest(f"{file.filename or 'the upload'} is empty")
    return await DocumentService.of(dock_of(request)).add(
        user_id or "local", file.filename or "", data, embedder=embedder)


def refusal_status(exc: InvalidRequest) -> int:
    """415 for a type jobdock cannot read, 413 beyond the size limit, else 422."""
    if isinstance(exc, UnsupportedType):
        return 415
    return 413 if isinstance(exc, TooLarge) else 422


@router.post("/documents", include_in_schema=False)
async def upload_page(request: Request, file: UploadFile = File(...),
                      user_id: str = Form("local"), embedder: str = Form("hashing")) -> Response:
    try:
        _, job = await _add(request, file, user_id, embedder)
    except InvalidRequest as exc:
        return render(request, "submit.html",
                      {**submit_context(request, {}), "upload_error": one_line(exc)},
                      status_code=refusal_status(exc))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.post("/api/documents", status_code=201, tags=["documents"])
async def upload_api(request: Request, file: UploadFile = File(...),
                     user_id: str = Form("local"),
                     embedder: str = Form("hashing")) -> JSONResponse:
    """Upload a document (PDF, EPUB, HTML, Markdown, text) and start processing it."""
    try:
        document, job = await _add(request, file, user_id, embedder)
    except InvalidRequest as exc:
        return JSONResponse({"detail": one_line(exc)}, status_code=refusal_status(exc))
    return JSONResponse({"document": document, "job": job.to_dict()}, status_code=201)


@router.get("/api/documents", tags=["documents"])
async def list_api(request: Request, user_id: str | None = None,
                   limit: int = Query(100, ge=1, le=1000)) -> JSONResponse:
    """Documents, newest first (one user's with ``user_id``), with status and chunk count."""
    documents = await DocumentService.of(dock_of(request)).list_documents(user_id, limit)
    return JSONResponse({"documents": documents})


@router.get("/api/documents/{document_id}", tags=["documents"])
async def show_api(request: Request, document_id: str) -> JSONResponse:
    """One document: its status (and processing error), title, source, pages, outline."""
    try:
        document = await DocumentService.of(dock_of(request)).get(document_id)
    except InvalidRequest as exc:
        return JSONResponse({"detail": one_line(exc)}, status_code=404)
    return JSONResponse(document)


@router.get("/library", include_in_schema=False)
async def documents_page(request: Request) -> Response:
    """The documents, newest first, each with its status and a Delete button."""
    documents = await DocumentService.of(dock_of(request)).list_documents(limit=500)
    return render(request, "library_documents.html", {"page": "library",
                                                      "documents": documents})


@router.post("/library/documents/{document_id}/delete", include_in_schema=False)
async def delete_page(request: Request, document_id: str) -> Response:
    """The Library's Delete button: the document, its chunks and files; back to the list."""
    try:
        await DocumentService.of(dock_of(request)).delete(document_id)
    except InvalidRequest as exc:
        return render(request, "error.html", {"message": one_line(exc)}, status_code=409
                      if "first" in str(exc) else 404)
    return RedirectResponse("/library", status_code=303)


@router.delete("/api/documents/{document_id}", tags=["documents"])
async def delete_api(request: Request, document_id: str) -> JSONResponse:
    """Delete a document with its chunks and stored files (409 while a job of its runs)."""
    try:
        result = await DocumentService.of(dock_of(request)).delete(document_id)
    except InvalidRequest as exc:
        status = 409 if "first" in str(exc) else 404
        return JSONResponse({"detail": one_line(exc)}, status_code=status)
    return JSONResponse(result)


class ExportIn(BaseModel):
    """What to export: documents of one user, optionally with their connections."""

    model_config = ConfigDict(populate_by_name=True)

    document_ids: list[str] = Field(min_length=1, max_length=1000)
    user_id: str = "local"
    include_connections: bool = Field(False, alias="includeConnections")


@router.post("/api/documents/export", status_code=201, tags=["documents"])
async def export_api(request: Request, body: ExportIn) -> JSONResponse:
    """Start ``export_documents``: one ZIP under ``{user}/exports/``; with
    ``includeConnections`` each document's ``connections.json`` too."""
    try:
        job = await DocumentService.of(dock_of(request)).export(
            body.user_id, body.document_ids, body.include_connections)
    except InvalidRequest as exc:
        return JSONResponse({"detail": one_line(exc)}, status_code=422)
    return JSONResponse({"job": job.to_dict()}, status_code=201)


@router.post("/library/export", include_in_schema=False)
async def export_page(request: Request) -> Response:
    """The Library's Export button: the ticked documents (of one user) in one ZIP."""
    form = await request.form()
    ids = [str(v) for v in form.getlist("document_id")]
    service = DocumentService.of(dock_of(request))
    try:
        if not ids:
            raise InvalidRequest("tick at least one document to export")
        owners = {(await service.get(doc_id))["user_id"] for doc_id in ids}
        if len(owners) != 1:
            raise InvalidRequest("an export holds the documents of one user; tick those "
                                 "of one user only")
        job = await service.export(owners.pop(), ids,
                                   form.get("include_connections") == "on")
    except InvalidRequest as exc:
        return render(request, "error.html", {"message": one_line(exc)}, status_code=422)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)

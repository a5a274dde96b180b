"""Integration pages (document with highlights, review queue, settings) and JSON API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from jobdock.admin import InvalidRequest
from jobdock.library.integrations.service import IntegrationService
from jobdock.library.integrations.web.highlight import segments
from jobdock.web.context import dock_of, render
from jobdock.web.pages import one_line

router = APIRouter()
MAX_UPLOAD = 50 * 1024 * 1024


def text_url(document_id: str, user_id: str) -> str:
    return f"/library/documents/{document_id}/text?user_id={user_id}"


def _service(request: Request) -> IntegrationService:
    return IntegrationService.of(dock_of(request))


def _refused(exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": one_line(exc)}, status_code=422)


def _back(url: str, message: str | None = None, error: str | None = None) -> Response:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in (("msg", message), ("error", error)) if v})
    sep = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{sep}{query}" if query else url, status_code=303)


# ---- pages ---------------------------------------------------------------------------
@router.get("/library/documents/{document_id}/text", include_in_schema=False)
async def document_page(request: Request, document_id: str, user_id: str = "local") -> Response:
    service = _service(request)
    try:
        doc = await service.document(document_id, user_id)
    except InvalidRequest as exc:
        return render(request, "error.html", {"message": one_line(exc)}, status_code=404)
    text = await service.document_text(doc) or ""
    annotations = await service.annotations(document_id, user_id)
    state = await service.store.sync_state_get(document_id)
    return render(request, "integrations_document.html", {
        "page": "integrations", "user_id": user_id, "doc": doc, "annotations": annotations,
        "segments": segments(text, annotations), "has_text": bool(text), "state": state,
        "msg": request.query_params.get("msg"), "error": request.query_params.get("error")})


@router.post("/library/documents/{document_id}/annotations", include_in_schema=False)
async def annotate_page(request: Request, document_id: str, quote: str = Form(...),
                        note: str = Form(""), color: str = Form("yellow"),
                        user_id: str = Form("local")) -> Response:
    url = text_url(document_id, user_id)
    try:
        await _service(request).add_annotation(user_id, document_id, quote=quote, note=note,
                                               color=color)
    except InvalidRequest as exc:
        return _back(url, error=one_line(exc))
    return _back(url, "Annotation added")


@router.post("/library/documents/{document_id}/obsidian/{action}", include_in_schema=False)
async def obsidian_page(request: Request, document_id: str, action: str,
                        user_id: str = Form("local"), prefer: str = Form("")) -> Response:
    service = _service(request)
    url = text_url(document_id, user_id)
    try:
        if action == "export":
            job = await service.export(user_id, document_id)
        elif action == "sync":
            job = await service.sync(user_id, document_id, prefer or None)
        else:
            return _back(url, error=f"unknown action {action}")
    except InvalidRequest as exc:
        return _back(url, error=one_line(exc))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


@router.get("/review", include_in_schema=False)
async def review_page(request: Request, user_id: str = "local",
                      status: str = "pending") -> Response:
    rows = await _service(request).review_list(user_id, None if status == "all" else status)
    return render(request, "integrations_review.html", {
        "page": "review", "user_id": user_id, "status": status, "entries": rows,
        "msg": request.query_params.get("msg"), "error": request.query_params.get("error")})


@router.post("/review/{review_id}/{decision}", include_in_schema=False)
async def review_decide_page(request: Request, review_id: str, decision: str,
                             user_id: str = Form("local")) -> Response:
    service = _service(request)
    url = f"/review?user_id={user_id}"
    try:
        if decision == "accept":
            await service.review_accept(user_id, review_id)
        elif decision == "reject":
            await service.review_reject(user_id, review_id)
        else:
            return _back(url, error=f"unknown decision {decision}")
    except InvalidRequest as exc:
        return _back(url, error=one_line(exc))
    return _back(url, "Accepted: the highlight is now an annotation" if decision == "accept"
                 else "Rejected")


@router.get("/integrations", include_in_schema=False)
async def settings_page(request: Request, user_id: str = "local") -> Response:
    service = _service(request)
    docs = await service.docs.document_list(user_id, 200)
    states = {s["document_id"]: s for s in await service.sync_states(user_id)}
    return render(request, "integrations_settings.html", {
        "page": "integrations", "user_id": user_id, "settings": await service.settings(user_id),
        "documents": docs, "states": states,
        "msg": request.query_params.get("msg"), "error": request.query_params.get("error")})


@router.post("/integrations/settings", include_in_schema=False)
async def settings_save_page(request: Request) -> Response:
    form = await request.form()
    user_id = str(form.get("user_id") or "local")
    changes: dict[str, object] = {k: str(form.get(k) or "") for k in (
        "vault_path", "vault_name", "export_folder", "readwise_every_hours")}
    changes["sync_annotations"] = form.get("sync_annotations") == "on"
    url = f"/integrations?user_id={user_id}"
    try:
        await _service(request).save_settings(user_id, changes)
        token = str(form.get("readwise_token") or "").strip()
        if token:
            await _service(request).set_readwise_token(user_id, token)
    except InvalidRequest as exc:
        return _back(url, error=one_line(exc))
    return _back(url, "Settings saved")


@router.post("/integrations/readwise", include_in_schema=False)
async def readwise_page(request: Request, file: UploadFile | None = File(None),
                        user_id: str = Form("local"), document_id: str = Form("")) -> Response:
    service = _service(request)
    try:
        data = await file.read(MAX_UPLOAD + 1) if file is not None else b""
        if file is not None and data:
            job = await service.import_file(user_id, file.filename or "export", data,
                                            document_id or None)
        else:
            job = await service.import_api(user_id, document_id or None)
    except InvalidRequest as exc:
        return _back(f"/integrations?user_id={user_id}", error=one_line(exc))
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


# ---- JSON API ------------------------------------------------------------------------
class SettingsBody(BaseModel):
    vault_path: str | None = None
    vault_name: str | None = None
    export_folder: str | None = None
    sync_annotations: bool | None = None
    readwise_every_hours: int | None = None
    readwise_base_url: str | None = None


class TokenBody(BaseModel):
    token: str | None = Field(None, description="The Readwise token; null forgets it.")


class AnnotationBody(BaseModel):
    quote: str | None = None
    start: int | None = None
    end: int | None = None
    note: str = ""
    color: str = "yellow"
    tags: list[str] = []


class DocumentJobBody(BaseModel):
    document_id: str
    force: bool = Field(False, description="export: overwrite a note edited in the vault.")
    prefer: str | None = Field(None, description="sync: resolve a conflict keeping 'vault' "
                                                 "or 'library'.")


@router.get("/api/integrations/settings", tags=["integrations"])
async def settings_api(request: Request, user_id: str = "local") -> Any:
    """A user's integration settings (whether a Readwise token is set, never the token)."""
    try:
        return await _service(request).settings(user_id)
    except InvalidRequest as exc:
        return _refused(exc)


@router.put("/api/integrations/settings", tags=["integrations"])
async def settings_put_api(request: Request, body: SettingsBody, user_id: str = "local") -> Any:
    """Change settings; the vault folder must exist and be writable."""
    try:
        return await _service(request).save_settings(user_id, body.model_dump(exclude_none=True))
    except InvalidRequest as exc:
        return _refused(exc)


@router.put("/api/integrations/readwise-token", status_code=204, tags=["integrations"])
async def token_api(request: Request, body: TokenBody, user_id: str = "local") -> Response:
    """Store the Readwise token (write-only: no endpoint returns it)."""
    try:
        await _service(request).set_readwise_token(user_id, body.token)
    except InvalidRequest as exc:
        return _refused(exc)
    return Response(status_code=204)


@router.get("/api/integrations/sync-state", tags=["integrations"])
async def sync_state_api(request: Request, user_id: str = "local") -> Any:
    """Documents synced with the vault (hashes, last direction, conflicts)."""
    return await _service(request).sync_states(user_id)


@router.post("/api/integrations/obsidian/{action}", status_code=201, tags=["integrations"])
async def obsidian_api(request: Request, action: str, body: DocumentJobBody,
                       user_id: str = "local") -> Any:
    """Start ``obsidian_export`` (action ``export``) or ``obsidian_sync`` (``sync``)."""
    service = _service(request)
    try:
        if action not in ("export", "sync"):
            raise InvalidRequest("action is export or sync")
        job = await (service.export(user_id, body.document_id, body.force) if action == "export"
                     else service.sync(user_id, body.document_id, body.prefer))
    except InvalidRequest as exc:
        return _refused(exc)
    return JSONResponse(job.to_dict(), status_code=201)


@router.post("/api/integrations/readwise/import", status_code=201, tags=["integrations"])
async def readwise_api(request: Request, file: UploadFile | None = File(None),
                       user_id: str = Form("local"), document_id: str | None = Form(None),
                       updated_after: str | None = Form(None)) -> Any:
    """Start ``readwise_import`` from an uploaded export file, or from the Readwise API."""
    service = _service(request)
    try:
        if file is not None:
            data = await file.read(MAX_UPLOAD + 1)
            job = await service.import_file(user_id, file.filename or "export", data,
                                            document_id)
        else:
            job = await service.import_api(user_id, document_id, updated_after)
    except InvalidRequest as exc:
        return _refused(exc)
    return JSONResponse(job.to_dict(), status_code=201)


@router.get("/api/documents/{document_id}/annotations", tags=["annotations"])
async def annotations_api(request: Request, document_id: str, user_id: str = "local") -> Any:
    """A document's annotations in text order (offsets into content.md)."""
    try:
        return await _service(request).annotations(document_id, user_id)
    except InvalidRequest as exc:
        return _refused(exc)


@router.post("/api/documents/{document_id}/annotations", status_code=201, tags=["annotations"])
async def annotation_add_api(request: Request, document_id: str, body: AnnotationBody,
                             user_id: str = "local") -> Any:
    """Annotate a passage, by ``quote`` or by ``start``/``end`` offsets."""
    try:
        row = await _service(request).add_annotation(
            user_id, document_id, start=body.start, end=body.end, quote=body.quote,
            note=body.note, color=body.color, tags=body.tags)
    except InvalidRequest as exc:
        return _refused(exc)
    return JSONResponse(row, status_code=201)


@router.delete("/api/annotations/{annotation_id}", status_code=204, tags=["annotations"])
async def annotation_delete_api(request: Request, annotation_id: str,
                                user_id: str = "local") -> Response:
    try:
        await _service(request).delete_annotation(user_id, annotation_id)
    except InvalidRequest as exc:
        return _refused(exc)
    return Response(status_code=204)


@router.get("/api/review", tags=["review"])
async def review_api(request: Request, user_id: str = "local", status: str = "pending") -> Any:
    """Review entries (``status``: pending, accepted, rejected or all)."""
    try:
        return await _service(request).review_list(user_id, None if status == "all" else status)
    except InvalidRequest as exc:
        return _refused(exc)


@router.post("/api/review/{review_id}/{decision}", tags=["review"])
async def review_decide_api(request: Request, review_id: str, decision: str,
                            user_id: str = "local") -> Any:
    """``accept`` (the suggestion becomes an annotation) or ``reject``."""
    service = _service(request)
    try:
        if decision == "accept":
            return await service.review_accept(user_id, review_id)
        if decision == "reject":
            return {"review": await service.review_reject(user_id, review_id)}
        raise InvalidRequest("decision is accept or reject")
    except InvalidRequest as exc:
        return _refused(exc)

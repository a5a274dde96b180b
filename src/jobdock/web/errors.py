"""Errors as answers: JSON ``{"detail": message}`` for the API and partials, a page otherwise.

404 for unknown ids, 409 for illegal transitions, 422 for bad input, 503 while the
database or storage is unreachable, 507 when storage is full.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from jobdock.admin import StorageError, StorageUnavailable, StoreUnavailable
from jobdock.admin.errors import (
    IllegalTransition,
    InvalidRequest,
    JobNotFound,
    ScheduleNotFound,
)

RETRY_AFTER_SECONDS = "2"


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api", "/partials", "/events")) or "hx-request" in request.headers


def error_response(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": message}, status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "error.html",
                                      {"status": status, "message": message},
                                      status_code=status)


def describe_validation(exc: RequestValidationError) -> str:
    """One line from pydantic's error list, e.g. 'body.input_data: Input should be ...'."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    async def not_found(request: Request, exc: Exception) -> Response:
        return error_response(request, 404, str(exc))

    async def conflict(request: Request, exc: Exception) -> Response:
        return error_response(request, 409, str(exc))

    async def invalid(request: Request, exc: Exception) -> Response:
        return error_response(request, 422, str(exc))

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, 422, describe_validation(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        response = error_response(request, exc.status_code, str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    async def unavailable(request: Request, exc: Exception) -> Response:
        response = error_response(
            request, 503, f"The database is unavailable right now; try again shortly. ({exc})")
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    async def storage_down(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StorageUnavailable)
        if exc.full:
            return error_response(request, 507, "Storage is full: nothing was saved. Free "
                                                "some space and try again.")
        response = error_response(request, 503, f"Storage is unavailable right now; try "
                                                 f"again shortly. ({exc})")
        response.headers["Retry-After"] = RETRY_AFTER_SECONDS
        return response

    async def storage_failed(request: Request, exc: Exception) -> Response:
        return error_response(request, 503, f"Storage failed: {exc}")

    app.add_exception_handler(StoreUnavailable, unavailable)
    app.add_exception_handler(StorageUnavailable, storage_down)
    app.add_exception_handler(StorageError, storage_failed)
    app.add_exception_handler(JobNotFound, not_found)
    app.add_exception_handler(ScheduleNotFound, not_found)
    app.add_exception_handler(IllegalTransition, conflict)
    app.add_exception_handler(InvalidRequest, invalid)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http_error)

"""What a route needs from the app: the dock, its admin service, templates, helpers."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from jobdock.admin import AdminService, InvalidRequest
from jobdock.app import Dock


def dock_of(request: Request) -> Dock:
    dock: Dock = request.app.state.dock
    return dock


def admin_of(request: Request) -> AdminService:
    return dock_of(request).admin


def parse_id(job_id: str) -> uuid.UUID:
    """A job id from a URL; a malformed one is bad input (422), not an unknown job."""
    try:
        return uuid.UUID(job_id.strip())
    except ValueError:
        raise InvalidRequest(f"{job_id[:60]!r} is not a valid job id (a UUID)") from None


def render(request: Request, name: str, context: dict[str, Any],
           status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status_code,
                                      headers=headers)

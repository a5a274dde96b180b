"""Access: an optional admin token (bearer for the API, login cookie for pages) and a
same-origin check on every POST."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

COOKIE = "jobdock_session"
OPEN_PATHS = ("/static/", "/login", "/healthz")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

router = APIRouter()


def session_value(token: str) -> str:
    """What the login cookie holds: a digest of the token, never the token itself."""
    return hmac.new(token.encode(), b"jobdock-session", hashlib.sha256).hexdigest()


def is_authorised(request: Request, token: str | None) -> bool:
    if token is None:
        return True
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(COOKIE, "")
    return hmac.compare_digest(cookie.encode(), session_value(token).encode())


def is_same_origin(request: Request) -> bool:
    """Browsers send Origin (or at least Sec-Fetch-Site) on POST; other clients send none."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    return f"{parts.scheme}://{parts.netloc}" == f"{request.url.scheme}://{request.url.netloc}"


class AccessMiddleware:
    """Refuse cross-origin POSTs, then (with a token configured) unauthenticated requests.

    Plain ASGI (not BaseHTTPMiddleware) so the event stream passes through untouched.
    """

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(Request(scope))
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        if request.method not in SAFE_METHODS and not is_same_origin(request):
            return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        path = request.url.path
        if path.startswith(OPEN_PATHS) or is_authorised(request, self.token):
            return None
        if path.startswith(("/api", "/events", "/partials")) or request.method != "GET":
            return JSONResponse({"detail": "missing or wrong admin token"}, status_code=401,
                                headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(f"/login?next={quote(path)}", status_code=303)


def safe_next(target: str) -> str:
    """Only local paths: never redirect a login to another site."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, next: str = "/") -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "login.html",
                                      {"next": safe_next(next), "bare": True})


@router.post("/login", include_in_schema=False)
async def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    expected = request.app.state.admin_token
    if expected is None:
        return RedirectResponse(safe_next(next), status_code=303)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        templates = request.app.state.templates
        return templates.TemplateResponse(request, "login.html",
                                          {"next": safe_next(next), "error": "Wrong token.",
                                           "bare": True},
                                          status_code=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, session_value(expected), httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
    return response


@router.post("/logout", include_in_schema=False)
async def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response

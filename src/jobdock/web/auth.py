"""Access: a Host allowlist on every request (DNS rebinding), an optional admin token
(bearer for the API, a revocable login session for pages) and a same-origin check on
every POST."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from jobdock.web.sessions import Sessions

COOKIE = "jobdock_session"
OPEN_PATHS = ("/static/", "/login", "/healthz")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The names a loopback-bound server answers to by default. Any other Host (a DNS name an
# attacker rebinds to 127.0.0.1) is refused, whatever the Origin says.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
ANY_HOST = "*"

router = APIRouter()


def is_authorised(request: Request, token: str | None, sessions: Sessions) -> bool:
    if token is None:
        return True
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and hmac.compare_digest(
            header[7:].strip().encode(), token.encode()):
        return True
    return sessions.valid(request.cookies.get(COOKIE, ""))


def host_name(host_header: str) -> str:
    """The name in a Host header, without port, brackets or a final dot, lowercased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def allowed_hosts(configured: Iterable[str] | None) -> frozenset[str] | None:
    """The Host names to answer (None: any). Nothing configured: the loopback names."""
    names = [host_name(h) for h in (configured or LOOPBACK_HOSTS) if h.strip()]
    return None if ANY_HOST in names else frozenset(names)


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

    def __init__(self, app: ASGIApp, token: str | None, sessions: Sessions,
                 hosts: frozenset[str] | None) -> None:
        self.app = app
        self.token = token
        self.sessions = sessions
        self.hosts = hosts

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
        if self.hosts is not None and \
                host_name(request.headers.get("host", "")) not in self.hosts:
            return JSONResponse({"detail": "unknown Host: add it to JOBDOCK_ALLOWED_HOSTS "
                                           "to serve it"}, status_code=421)
        if request.method not in SAFE_METHODS and not is_same_origin(request):
            return JSONResponse({"detail": "cross-origin request refused"}, status_code=403)
        path = request.url.path
        if path.startswith(OPEN_PATHS) or is_authorised(request, self.token, self.sessions):
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
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "login.html",
                                      {"next": safe_next(next), "bare": True})


@router.post("/login", include_in_schema=False)
async def login(request: Request, token: str = Form(""), next: str = Form("/")) -> Response:
    expected = request.app.state.admin_token
    if expected is None:
        return RedirectResponse(safe_next(next), status_code=303)
    if not hmac.compare_digest(token.encode(), expected.encode()):
        templates: Jinja2Templates = request.app.state.templates
        return templates.TemplateResponse(request, "login.html",
                                          {"next": safe_next(next), "error": "Wrong token.",
                                           "bare": True},
                                          status_code=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(COOKIE, request.app.state.sessions.create(), httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request) -> Response:
    request.app.state.sessions.revoke(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response

"""Refuse, before any route runs, a URL whose path or query holds text no database can
store (a NUL character, a lone surrogate, bytes that are not UTF-8): 422 with the reason,
instead of a 500 from whichever query receives it first (Postgres refuses NUL in text;
SQLite would store it)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


def url_problem(path: str, query_string: bytes) -> str | None:
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True,
                          encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return "the query string is not valid UTF-8"
    for where, text in [("the path", path), *((f"parameter {k!r}", v) for k, v in pairs),
                        *(("a parameter name", k) for k, _ in pairs)]:
        if "\x00" in text:
            return f"{where} contains a NUL character"
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where} is not valid text"
    return None


class RefuseUnstorableText:
    """ASGI middleware: one check per request, no buffering of bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = url_problem(scope.get("path", ""), scope.get("query_string", b""))
            if problem is not None:
                await JSONResponse({"detail": problem}, status_code=422)(scope, receive, send)
                return
        await self.app(scope, receive, send)

"""Refuse, before any route runs, text no database can store (a NUL character, a lone
surrogate, bytes that are not UTF-8) in a URL's path or query or anywhere in a JSON body:
422 with the reason, instead of a 500 from whichever query receives it first (Postgres
refuses NUL in text; SQLite would store it). Routes still check their own limits."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

WITH_BODY = {"POST", "PUT", "PATCH"}


def text_problem(text: str) -> str | None:
    """Why no database can store ``text`` (None: it can)."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text (a lone surrogate)"
    return None


def url_problem(path: str, query_string: bytes) -> str | None:
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True,
                          encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return "the query string is not valid UTF-8"
    for where, text in [("the path", path), *((f"parameter {k!r}", v) for k, v in pairs),
                        *(("a parameter name", k) for k, _ in pairs)]:
        problem = text_problem(text)
        if problem is not None:
            return f"{where} {problem}"
    return None


def json_problem(body: bytes) -> str | None:
    """What in a JSON body no database can store; None for anything else (a body that is
    not JSON at all is the route's to refuse)."""
    try:
        stack: list[Any] = [json.loads(body)]
    except (ValueError, RecursionError):
        return None
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack += value.keys()
            stack += value.values()
        elif isinstance(value, list):
            stack += value
        elif isinstance(value, str):
            problem = text_problem(value)
            if problem is not None:
                return f"text in the request body {problem}"
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower().endswith(b"json")
    return False


class RefuseUnstorableText:
    """ASGI middleware: the URL of every request; the body of JSON requests (read once and
    handed on unchanged). Uploads (multipart) pass through unread."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problem = url_problem(scope.get("path", ""), scope.get("query_string", b""))
        if problem is None and scope.get("method") in WITH_BODY and _is_json(scope):
            messages = await _read_body(receive)
            problem = json_problem(b"".join(m.get("body", b"") for m in messages))
            receive = _replay(messages, receive)
        if problem is not None:
            await JSONResponse({"detail": problem}, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()
    return replay

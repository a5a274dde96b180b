"""A fake Readwise export API on 127.0.0.1 for tests and benchmarks (real HTTP).

It serves ``GET /api/v2/export/`` (``pageCursor``, ``updatedAfter``; answers
``{"count", "nextPageCursor", "results": [book...]}``) and ``GET /api/v2/auth/`` (204),
checks ``Authorization: Token <token>`` (401 otherwise), and can be scripted: fail a
given export request with a status (e.g. 429 with ``Retry-After``) or hold a request
until the test releases it, so a test can pause a job at a known page.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Scripted:
    status: int
    retry_after: str | None = None


@dataclass
class Hold:
    """A held request: ``arrived`` is set when it comes in; it is answered on ``release``."""

    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


@dataclass
class FakeState:
    books: list[dict[str, Any]]
    token: str
    page_size: int
    failures: dict[int, Scripted] = field(default_factory=dict)  # export request n → answer
    holds: dict[int, Hold] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    export_calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_books(n_books: int, per_book: int, *, text: Any = None,
               updated_at: str = "2026-01-01T00:00:00Z") -> list[dict[str, Any]]:
    """Books with ``per_book`` highlights each; ``text(book, i)`` gives a highlight's text."""
    books = []
    for b in range(n_books):
        highlights: list[dict[str, Any]] = [{"id": b * 100000 + i + 1,
                       "text": text(b, i) if text else f"Highlight {i} of book {b}.",
                       "note": "", "location": i + 1, "location_type": "order",
                       "highlighted_at": updated_at, "updated_at": updated_at,
                       "color": "yellow", "book_id": 7000 + b, "tags": []}
                      for i in range(per_book)]
        books.append({"user_book_id": 7000 + b, "title": f"Book {b}", "author": "A. Writer",
                      "category": "books", "highlights": highlights})
    return books


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(cursor: str) -> int:
    return int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])


class _Handler(BaseHTTPRequestHandler):
    state: FakeState  # set on the subclass the server makes

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(url.query).items()}
        authorised = self.headers.get("Authorization") == f"Token {self.state.token}"
        with self.state.lock:
            self.state.requests.append({"path": url.path, "params": params,
                                        "authorised": authorised, "at": time.monotonic()})
        if url.path == "/api/v2/auth/":
            self._send(204 if authorised else 401, None)
        elif url.path == "/api/v2/export/":
            self._export(params, authorised)
        else:
            self._send(404, {"detail": "Not found."})

    def _export(self, params: dict[str, str], authorised: bool) -> None:
        if not authorised:
            self._send(401, {"detail": "Invalid token."})
            return
        with self.state.lock:
            self.state.export_calls += 1
            n = self.state.export_calls
            scripted = self.state.failures.pop(n, None)
            hold = self.state.holds.get(n)
        if hold is not None:
            hold.arrived.set()
            hold.release.wait(60)
        if scripted is not None:
            headers = {"Retry-After": scripted.retry_after} if scripted.retry_after else {}
            self._send(scripted.status, {"detail": "Request was throttled."}, headers)
            return
        self._send(200, self._page(params))

    def _page(self, params: dict[str, str]) -> dict[str, Any]:
        after = params.get("updatedAfter")
        books = []
        for book in self.state.books:
            kept = [h for h in book["highlights"] if not after or h["updated_at"] > after]
            if kept:
                books.append({**book, "highlights": kept})
        start = _offset(params["pageCursor"]) if params.get("pageCursor") else 0
        end = start + self.state.page_size
        return {"count": len(books), "results": books[start:end],
                "nextPageCursor": _cursor(end) if end < len(books) else None}

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class FakeReadwise:
    """``with FakeReadwise(books) as fake: ReadwiseClient(fake.token, base_url=fake.url)``."""

    def __init__(self, books: list[dict[str, Any]], *, token: str = "fake-token",
                 page_size: int = 2) -> None:
        self.state = FakeState(books=books, token=token, page_size=page_size)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def fail(self, request_number: int, status: int, retry_after: str | None = None) -> None:
        """Answer the ``request_number``-th export request (1-based) with ``status``."""
        self.state.failures[request_number] = Scripted(status, retry_after)

    def hold(self, request_number: int) -> Hold:
        """Hold the ``request_number``-th export request until ``release`` is set."""
        hold = Hold()
        self.state.holds[request_number] = hold
        return hold

    @property
    def export_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.state.requests if r["path"] == "/api/v2/export/"]

    def start(self) -> FakeReadwise:
        self._thread.start()
        return self

    def stop(self) -> None:
        for hold in self.state.holds.values():
            hold.release.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeReadwise:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

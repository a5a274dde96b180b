"""A client for the Readwise export API (``GET /api/v2/export/``).

Pages are fetched one at a time (``pageCursor``, ``updatedAfter``) so the caller can
checkpoint after each. HTTP 429 is transient: the client waits the ``Retry-After`` the
server asked for (through an injected, interruptible ``sleep``) and asks again, a few
times, then raises :class:`ReadwiseUnavailable`. 401/403 mean the token is wrong:
:class:`ReadwiseAuthError`, permanent. The token is sent only in the ``Authorization``
header and never appears in a message, a log line or ``repr``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from jobdock.jobs.errors import PermanentError, TransientError
from jobdock.library.integrations.highlights import Highlight, from_api

log = logging.getLogger("jobdock.readwise")

DEFAULT_BASE_URL = "https://readwise.io"
EXPORT_PATH = "/api/v2/export/"
AUTH_PATH = "/api/v2/auth/"


class ReadwiseAuthError(PermanentError):
    """Readwise refused the token (401/403): retrying cannot help."""


class ReadwiseUnavailable(TransientError):
    """Readwise is rate limiting, down or unreachable: worth retrying later."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ReadwiseResponseError(PermanentError):
    """Readwise answered with something that is not an export page."""


@dataclass(frozen=True)
class ExportPage:
    highlights: list[Highlight]
    next_cursor: str | None
    count: int | None
    books: int


def parse_retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default  # an HTTP date: rare from Readwise; wait the default instead


class ReadwiseClient:
    def __init__(self, token: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 sleep: Callable[[float], None] | None = None, rate_limit_attempts: int = 5,
                 max_wait: float = 300.0) -> None:
        if not token or not token.strip():
            raise ReadwiseAuthError("no Readwise token is configured")
        import time

        self._sleep = sleep or time.sleep
        self._attempts = rate_limit_attempts
        self._max_wait = max_wait
        self._http = httpx.Client(base_url=base_url, timeout=timeout,
                                  headers={"Authorization": f"Token {token.strip()}"})

    def __repr__(self) -> str:
        return f"ReadwiseClient(base_url={str(self._http.base_url)!r}, token=<hidden>)"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReadwiseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_token(self) -> None:
        """Raise :class:`ReadwiseAuthError` unless Readwise accepts the token."""
        self._get(AUTH_PATH, {})

    def export_page(self, cursor: str | None = None,
                    updated_after: str | None = None) -> ExportPage:
        params: dict[str, str] = {}
        if cursor:
            params["pageCursor"] = cursor
        if updated_after:
            params["updatedAfter"] = updated_after
        body = self._get(EXPORT_PATH, params)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise ReadwiseResponseError("Readwise's export answer has no results list")
        highlights = [from_api(item, book) for book in body["results"]
                      for item in (book.get("highlights") or []) if isinstance(item, dict)]
        nxt = body.get("nextPageCursor")
        return ExportPage([h for h in highlights if h.text.strip()],
                          str(nxt) if nxt not in (None, "") else None,
                          body.get("count"), len(body["results"]))

    def _get(self, path: str, params: dict[str, str]) -> Any:
        for attempt in range(self._attempts):
            response = self._request(path, params)
            if response.status_code != 429:
                return self._decode(response)
            wait = min(parse_retry_after(response.headers.get("Retry-After"), 60.0),
                       self._max_wait)
            if attempt == self._attempts - 1:
                break
            log.info("readwise rate limit; waiting %.1fs (attempt %d)", wait, attempt + 1)
            self._sleep(wait)
        raise ReadwiseUnavailable("Readwise is rate limiting requests (HTTP 429)",
                                  retry_after=wait)

    def _request(self, path: str, params: dict[str, str]) -> httpx.Response:
        try:
            return self._http.get(path, params=params)
        except httpx.TimeoutException:
            raise ReadwiseUnavailable("Readwise did not answer in time (timeout)") from None
        except httpx.TransportError as exc:
            raise ReadwiseUnavailable(f"cannot reach Readwise: {type(exc).__name__}") from None

    @staticmethod
    def _decode(response: httpx.Response) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise ReadwiseAuthError(f"Readwise rejected the token (HTTP {status}); "
                                    "check the token in the integration settings")
        if status >= 500 or status == 408:
            raise ReadwiseUnavailable(f"Readwise is unavailable (HTTP {status})")
        if status >= 400:
            raise ReadwiseResponseError(f"Readwise refused the request (HTTP {status})")
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ReadwiseResponseError("Readwise's answer is not JSON") from None

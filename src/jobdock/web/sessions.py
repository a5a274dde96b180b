"""Login sessions: random ids kept in the server's memory, so logging out revokes one.

A session id is 256 random bits; the cookie carries nothing derived from the token.
Sessions end on logout, after ``IDLE_SECONDS`` unused, or when the server restarts.
"""

from __future__ import annotations

import secrets
import time

IDLE_SECONDS = 12 * 3600
MAX_SESSIONS = 1000  # a bound on memory: the oldest go first


class Sessions:
    def __init__(self, idle_seconds: float = IDLE_SECONDS) -> None:
        self.idle_seconds = idle_seconds
        self._last_seen: dict[str, float] = {}

    def create(self) -> str:
        self._expire()
        while len(self._last_seen) >= MAX_SESSIONS:
            self._last_seen.pop(next(iter(self._last_seen)))
        session_id = secrets.token_urlsafe(32)
        self._last_seen[session_id] = time.monotonic()
        return session_id

    def valid(self, session_id: str) -> bool:
        seen = self._last_seen.get(session_id) if session_id else None
        if seen is None or time.monotonic() - seen > self.idle_seconds:
            self._last_seen.pop(session_id, None)
            return False
        self._last_seen[session_id] = time.monotonic()
        return True

    def revoke(self, session_id: str) -> None:
        self._last_seen.pop(session_id, None)

    def _expire(self) -> None:
        now = time.monotonic()
        for session_id, seen in list(self._last_seen.items()):
            if now - seen > self.idle_seconds:
                del self._last_seen[session_id]

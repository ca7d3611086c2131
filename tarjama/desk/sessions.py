"""Server-side sessions and CSRF tokens for the desk.

The cookie carries only a random session id (HttpOnly, SameSite=Strict); the
session, with its CSRF token, lives in the desk process. Logging in issues a
new id, so a session id planted before login is worthless after it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

COOKIE = "tarjama_session"
IDLE_SECONDS = 8 * 3600


@dataclass
class Session:
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    reviewer: str | None = None
    seen: float = field(default_factory=time.monotonic)

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token)


class SessionStore:
    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None or time.monotonic() - session.seen > IDLE_SECONDS:
                self._sessions.pop(sid, None)
                return None
            session.seen = time.monotonic()
            return session

    def new(self, reviewer: str | None = None) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        session = Session(reviewer=reviewer)
        with self._lock:
            self._sessions[sid] = session
        return sid, session

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

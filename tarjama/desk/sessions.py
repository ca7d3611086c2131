"""Server-side sessions and CSRF tokens for the desk, kept in the workspace so they survive a restart.

The cookie carries only a random session id (HttpOnly, SameSite=Strict). The
store (``.tarjama/desk-sessions.sqlite``, git-ignored) keeps a SHA-256 of the
id, never the id itself, with the session's reviewer, CSRF token and times; a
session ends after 8 idle hours or 7 days, whichever comes first. Logging in
issues a new id, so a session id planted before login is worthless after it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

COOKIE = "tarjama_session"
IDLE_SECONDS = 8 * 3600
MAX_AGE_SECONDS = 7 * 24 * 3600
_TOUCH_EVERY = 60  # seconds between writes of a session's last-seen time


@dataclass
class Session:
    csrf: str
    reviewer: str | None
    created: float
    seen: float

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token)


def _key(sid: str) -> str:
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, path: Path, clock=time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, reviewer TEXT, csrf TEXT NOT NULL,"
                         " created REAL NOT NULL, seen REAL NOT NULL)")
        path.chmod(0o600)

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        now = self._clock()
        with self._lock:
            row = self._db.execute("SELECT reviewer, csrf, created, seen FROM sessions WHERE key = ?",
                                   (_key(sid),)).fetchone()
            if row is None:
                return None
            session = Session(csrf=row[1], reviewer=row[0], created=row[2], seen=row[3])
            if now - session.seen > IDLE_SECONDS or now - session.created > MAX_AGE_SECONDS:
                self._db.execute("DELETE FROM sessions WHERE key = ?", (_key(sid),))
                return None
            if now - session.seen > _TOUCH_EVERY:
                self._db.execute("UPDATE sessions SET seen = ? WHERE key = ?", (now, _key(sid)))
                session.seen = now
            return session

    def new(self, reviewer: str | None = None) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(csrf=secrets.token_urlsafe(32), reviewer=reviewer, created=now, seen=now)
        with self._lock:
            self._db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
                             (_key(sid), reviewer, session.csrf, now, now))
            self._db.execute("DELETE FROM sessions WHERE seen < ? OR created < ?",
                             (now - IDLE_SECONDS, now - MAX_AGE_SECONDS))
        return sid, session

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE key = ?", (_key(sid or ""),))

    def close(self) -> None:
        with self._lock:
            self._db.close()

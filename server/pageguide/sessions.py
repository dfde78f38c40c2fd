"""Live widget sessions: identifiers, resume tokens, flood control and the small per-session
state a process keeps. One process holds thousands of idle widgets, so this stays tiny."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque

from .guidance.base import Turn
from .protocol import PageContext

HISTORY_TURNS = 3


def new_session_id() -> str:
    return secrets.token_hex(16)


def resume_token(secret: bytes, session_id: str) -> str:
    """Stateless: a resume token is an HMAC of the session id, so checking it costs no lookup."""
    mac = hmac.new(secret, f"resume:{session_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def check_resume_token(secret: bytes, session_id: str, token: str) -> bool:
    return hmac.compare_digest(resume_token(secret, session_id), token)


class RateLimiter:
    """Token bucket: `rate` frames per second sustained, `burst` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def allow(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class LiveSession:
    __slots__ = ("history", "id", "offered", "page", "page_view_id", "site_key")

    def __init__(self, session_id: str, site_key: str) -> None:
        self.id = session_id
        self.site_key = site_key
        self.page: PageContext | None = None
        self.page_view_id: int | None = None
        self.history: deque[Turn] | None = None  # created on the first answer
        self.offered: tuple[str, ...] = ()  # questions the welcome suggested

    def remember(self, turn: Turn) -> None:
        if self.history is None:
            self.history = deque(maxlen=HISTORY_TURNS)
        self.history.append(turn)

    def turns(self) -> list[Turn]:
        return list(self.history or ())

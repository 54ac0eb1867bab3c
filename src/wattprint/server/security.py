"""Secrets: project tokens, passwords, the session cookie, CSRF and the rate limit.

A project token is ``cpt_`` (CodeCarbon's form, accepted and issued alike)
followed by 43 URL-safe characters: 256 random bits, so its SHA-256 is as
safe to keep as a slow hash and is looked up in O(1). Only the hash and the
first 12 characters (to recognise the token in a list) are stored. Passwords
are hashed with argon2id. The session cookie is signed with a key kept in
the database, so every worker and host accepts it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TOKEN_PREFIX = "cpt_"
SHOWN_PREFIX_CHARS = 12
SESSION_COOKIE = "wattprint_session"
SESSION_MAX_AGE_S = 14 * 86400

READ = 1
WRITE = 2
READ_WRITE = 3


def new_token() -> str:
    """Return a new project token (shown once, never stored)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    """Return the stored form of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(given.encode(), expected.encode())


def hash_password(password: str) -> str:
    """Return the argon2id hash of ``password``."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Return True if ``password`` matches ``password_hash``."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class SessionData:
    """What the session cookie holds: who signed in, and the CSRF token of their forms."""

    user_id: str
    csrf: str


def _serializer(key: str) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(key, salt="wattprint-session")


def sign_session(key: str, user_id: str) -> str:
    """Return a signed cookie value for ``user_id`` with a fresh CSRF token."""
    value: str = _serializer(key).dumps({"u": user_id, "c": secrets.token_urlsafe(24)})
    return value


def read_session(key: str, cookie: str | None) -> SessionData | None:
    """Return the session in ``cookie``, or None if absent, forged or too old."""
    if not cookie:
        return None
    from itsdangerous import BadSignature

    try:
        data = _serializer(key).loads(cookie, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), str):
        return None
    return SessionData(user_id=data["u"], csrf=str(data.get("c", "")))


class RateLimiter:
    """A token bucket per key (per worker process; a limit, not shared data).

    Args:
        rate_per_s: tokens added per second. Units: 1/s.
        burst: the bucket's size.
        clock: monotonic clock. Units: s.
        max_keys: buckets kept at most (the oldest are forgotten).
    """

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> float:
        """Take one request for ``key``; return 0 if allowed, else the seconds to wait."""
        now = self._clock()
        with self._lock:
            level, then = self._buckets.pop(key, (float(self.burst), now))
            level = min(float(self.burst), level + (now - then) * self.rate_per_s)
            if len(self._buckets) >= self._max_keys:
                self._buckets.pop(next(iter(self._buckets)))
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.rate_per_s

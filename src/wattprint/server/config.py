"""The server's settings: one frozen object, made by ``wattprint serve`` or a test."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 1_048_576  # the largest request body accepted. Units: bytes.
DEFAULT_RATE_PER_S = 50.0  # requests per second and token, per worker process.
DEFAULT_BURST = 200  # requests a token may send at once before the rate applies.
DEFAULT_LOST_AFTER_S = 900.0  # a running run silent this long is shown as lost. Units: s.


def default_db_url(env: Mapping[str, str] | None = None) -> str:
    """Return the default database: a SQLite file in the user's data directory."""
    from wattprint.paths import user_data_dir

    path = user_data_dir(env) / "server.sqlite3"
    return f"sqlite:///{path}"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What the server needs to run.

    Attributes:
        db_url: the SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
        db_schema: a PostgreSQL schema to hold the tables (made if missing), or None.
        admin_token: a bearer token that may call every API, or None.
        max_body_bytes: the largest request body accepted. Units: bytes.
        rate_per_s: requests per second a token may make (per worker). Units: 1/s.
        rate_burst: requests a token may make at once.
        lost_after_s: a running run not heard of for this long shows as lost. Units: s.
        secure_cookies: mark the session cookie Secure (behind HTTPS).
        pool_size: database connections per worker.
        signing_key: an Ed25519 private key (PEM file) that signs the reports the
            dashboard offers; None: the server makes one and keeps it in the database.
    """

    db_url: str
    db_schema: str | None = None
    admin_token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_s: float = DEFAULT_RATE_PER_S
    rate_burst: int = DEFAULT_BURST
    lost_after_s: float = DEFAULT_LOST_AFTER_S
    secure_cookies: bool = False
    pool_size: int = 10
    signing_key: str | None = None

    @classmethod
    def from_env(
        cls, db_url: str | None = None, env: Mapping[str, str] | None = None
    ) -> ServerSettings:
        """Return settings from ``db_url`` and ``WATTPRINT_SERVER_*`` variables."""
        env = os.environ if env is None else env
        return cls(
            db_url=db_url or env.get("WATTPRINT_SERVER_DB") or default_db_url(env),
            db_schema=env.get("WATTPRINT_SERVER_DB_SCHEMA") or None,
            admin_token=env.get("WATTPRINT_SERVER_ADMIN_TOKEN") or None,
            signing_key=env.get("WATTPRINT_SERVER_SIGNING_KEY") or None,
        )

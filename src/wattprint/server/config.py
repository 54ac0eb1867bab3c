"""The server's settings: one frozen object, made by ``wattprint serve`` or a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from wattprint.errors import ConfigError

DEFAULT_MAX_BODY_BYTES = 1_048_576  # the largest request body accepted. Units: bytes.
DEFAULT_RATE_PER_S = 50.0  # requests per second and token, per worker process.
DEFAULT_BURST = 200  # requests a token may send at once before the rate applies.
DEFAULT_POOL_SIZE = 8  # database connections and request threads per worker process.
DEFAULT_LOST_AFTER_S = 900.0  # a running run silent this long is shown as lost. Units: s.
ROLES = ("viewer", "member", "owner")  # the roles in an organisation, least first
OIDC_ENV = "WATTPRINT_SERVER_OIDC_"  # the prefix of the OIDC sign-in's variables


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
        pool_size: database connections kept open per worker, and the threads
            that serve requests in it (``WATTPRINT_SERVER_POOL_SIZE``).
        oidc: sign-in through an OpenID Connect provider, or None (local accounts only).
        signing_key: an Ed25519 private key (PEM file) that signs the reports the
            dashboard offers; None: the server makes one and keeps it in the database.
    """

    db_url: str
    db_schema: str | None = None
    admin_token: str | None = field(default=None, repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    rate_per_s: float = DEFAULT_RATE_PER_S
    rate_burst: int = DEFAULT_BURST
    lost_after_s: float = DEFAULT_LOST_AFTER_S
    secure_cookies: bool = False
    pool_size: int = DEFAULT_POOL_SIZE
    oidc: OidcSettings | None = None
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
            pool_size=_pool_size(env.get("WATTPRINT_SERVER_POOL_SIZE")),
            oidc=OidcSettings.from_env(env),
            signing_key=env.get("WATTPRINT_SERVER_SIGNING_KEY") or None,
            secure_cookies=_flag("WATTPRINT_SERVER_SECURE_COOKIES", env),
        )


_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_OIDC_NAMES = ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "NAME", "ORG", "ROLE", "REDIRECT_URL")


def _check_url(key: str, value: str, source: str) -> None:
    """Refuse a URL that is not https (plain http only on loopback, for a local provider)."""
    parts = urlsplit(value)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)
    if not host or not secure or parts.query or parts.fragment:
        raise ConfigError(key, value, "an https:// URL without query or fragment "
                          "(http:// only on 127.0.0.1, ::1 or localhost)", source)  # fmt: skip


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """Sign-in through an OpenID Connect provider (Keycloak, Google, Authentik, Dex...).

    A person who signs in for the first time gets an account (no password)
    keyed by the provider's ``sub``; a local account with the same verified
    email is linked instead. The new account joins ``organisation_id`` with
    ``role``, or no organisation at all when it is None, until an owner adds
    it (``POST /api/organizations/{id}/add-user``).

    Attributes:
        issuer: the provider's issuer URL, exactly as its ID tokens name it; its
            discovery document is ``{issuer}/.well-known/openid-configuration``.
        client_id: this server's client id at the provider.
        client_secret: the client secret, or None for a public client (PKCE
            alone). Never shown: left out of ``repr``, logs and messages.
        name: the provider's name on the sign-in button (default: the issuer's host).
        organisation_id: the organisation a new account joins, or None.
        role: the role it gets there: ``viewer``, ``member`` or ``owner``.
        redirect_url: the callback URL registered at the provider
            (``https://host/oidc/callback``), or None to derive it from the
            request (set it behind a reverse proxy).
    """

    issuer: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    name: str = ""
    organisation_id: str | None = None
    role: str = "viewer"
    redirect_url: str | None = None

    def __post_init__(self) -> None:
        _check_url("oidc_issuer", self.issuer, OIDC_ENV + "ISSUER")
        if not self.client_id.strip():
            raise ConfigError("oidc_client_id", self.client_id, "the client id registered at "
                              "the provider", OIDC_ENV + "CLIENT_ID")  # fmt: skip
        if self.role not in ROLES:
            raise ConfigError("oidc_role", self.role, " or ".join(ROLES), OIDC_ENV + "ROLE")
        if self.organisation_id is not None:
            try:
                uuid.UUID(self.organisation_id)
            except ValueError:
                raise ConfigError("oidc_org", self.organisation_id, "an organisation id (a UUID)",
                                  OIDC_ENV + "ORG") from None  # fmt: skip
        if self.redirect_url is not None:
            _check_url("oidc_redirect_url", self.redirect_url, OIDC_ENV + "REDIRECT_URL")

    @property
    def display_name(self) -> str:
        """Return the name shown on the sign-in button."""
        return self.name or urlsplit(self.issuer).hostname or self.issuer

    @property
    def discovery_url(self) -> str:
        """Return the URL of the provider's discovery document."""
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """Return the settings in ``WATTPRINT_SERVER_OIDC_*``, or None if no issuer is set.

        Raises:
            ConfigError: a value is refused, or OIDC variables are set without an issuer.
        """
        values = {k[len(OIDC_ENV):]: v.strip() for k, v in env.items()
                  if k.startswith(OIDC_ENV) and v.strip()}  # fmt: skip
        unknown = sorted(OIDC_ENV + k for k in values if k not in _OIDC_NAMES)
        if unknown:
            accepted = "one of " + ", ".join(OIDC_ENV + k for k in _OIDC_NAMES)
            raise ConfigError("OIDC variable", unknown[0], accepted)
        if "ISSUER" not in values:
            others = sorted(OIDC_ENV + k for k in values)
            if others:
                raise ConfigError(OIDC_ENV + "ISSUER", "", "an issuer URL, since "
                                  + ", ".join(others) + " is set")  # fmt: skip
            return None
        return cls(
            issuer=values["ISSUER"],
            client_id=values.get("CLIENT_ID", ""),
            client_secret=values.get("CLIENT_SECRET"),
            name=values.get("NAME", ""),
            organisation_id=values["ORG"].lower() if "ORG" in values else None,
            role=values.get("ROLE", "viewer"),
            redirect_url=values.get("REDIRECT_URL"),
        )


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def _flag(key: str, env: Mapping[str, str]) -> bool:
    """Return a yes/no variable (unset: no); anything else is refused, naming it."""
    value = env.get(key, "")
    if value.strip().lower() in _TRUE:
        return True
    if value.strip().lower() in _FALSE:
        return False
    raise ConfigError(key, value, "one of 1, true, yes, on, 0, false, no, off")


def _pool_size(value: str | None) -> int:
    """Return ``WATTPRINT_SERVER_POOL_SIZE`` as an integer (the default when unset)."""
    if not value:
        return DEFAULT_POOL_SIZE
    if not value.strip().isdigit() or not 1 <= int(value) <= 200:
        raise ConfigError("WATTPRINT_SERVER_POOL_SIZE", value, "an integer from 1 to 200")
    return int(value)

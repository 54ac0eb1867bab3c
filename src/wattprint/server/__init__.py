"""The team server: every run of an organisation in one place (``wattprint serve``).

FastAPI on uvicorn, SQLAlchemy 2 with Alembic migrations, SQLite by default
and PostgreSQL for teams; wattprint's own ingest, CodeCarbon's API at ``/``
and ``/api``, and a server-rendered dashboard. Needs ``wattprint[server]``;
importing this package imports none of it (see :mod:`wattprint.server.app`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from wattprint.server.config import ServerSettings

_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "jinja2", "argon2", "multipart")


def require_server_extra() -> None:
    """Raise MissingDependencyError naming ``wattprint[server]`` if a piece of it is missing."""
    import importlib.util

    from wattprint.errors import MissingDependencyError

    for name in _MODULES:
        if importlib.util.find_spec(name) is None:
            raise MissingDependencyError(name, "server")


def create_app(settings: ServerSettings, **kwargs: Any) -> FastAPI:
    """Return the server's app (see :func:`wattprint.server.app.create_app`)."""
    require_server_extra()
    from wattprint.server.app import create_app as _create_app

    return _create_app(settings, **kwargs)


__all__ = ["create_app", "require_server_extra"]

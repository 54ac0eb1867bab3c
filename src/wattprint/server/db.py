"""The database: the engine, sessions and the migrations, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from wattprint.errors import ConfigError

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(db_url: str, *, schema: str | None = None, pool_size: int = 10) -> Engine:
    """Return an engine for ``db_url``; on PostgreSQL, ``schema`` holds the tables.

    Raises:
        ConfigError: the URL or the schema name is not accepted.
    """
    try:
        url = make_url(db_url)
    except Exception as err:  # sqlalchemy raises ArgumentError for a bad URL
        raise ConfigError(
            "db", db_url, "a database URL, e.g. sqlite:///path or postgresql+psycopg://user@host/db"
        ) from err
    kwargs: dict[str, Any] = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif url.get_backend_name() == "postgresql":
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        if schema is not None:
            if not _SCHEMA_NAME.fullmatch(schema):
                raise ConfigError("db_schema", schema, "lower-case letters, digits and _")
            kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    else:
        raise ConfigError("db", db_url, "a sqlite:// or postgresql+psycopg:// URL")
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif schema is not None:
        with engine.begin() as conn:  # the name was checked above: quoted as an identifier
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session maker of ``engine`` (objects stay readable after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


def migrate(engine: Engine, *, schema: str | None = None) -> None:
    """Bring the database to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # one migrator at a time when several workers or hosts start together
            conn.execute(text("SELECT pg_advisory_xact_lock(727365)"))
        config.attributes["connection"] = conn
        config.attributes["schema"] = schema
        command.upgrade(config, "head")

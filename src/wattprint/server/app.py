"""The app factory: ``create_app(settings)`` builds everything; nothing lives at module level.

Each worker process calls it (uvicorn's ``--factory``, through
:func:`app_from_env`); the workers share nothing but the database, which
also holds the session-signing key.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wattprint import _log
from wattprint._version import __version__
from wattprint.server import models as m
from wattprint.server.config import ServerSettings
from wattprint.server.db import make_engine, migrate, session_factory
from wattprint.server.security import RateLimiter
from wattprint.server.store import insert_ignore

logger = _log.get("wattprint.server")
DB_RETRY_AFTER_S = 2  # what a 503 asks a client to wait while the database is away. Units: s.


def create_app(settings: ServerSettings, *, migrate_db: bool = True) -> FastAPI:
    """Return the server's app for ``settings`` (migrating the database first by default)."""
    from wattprint.server import (
        api_codecarbon,
        api_members,
        api_native,
        api_orgs,
        dashboard,
        metrics,
    )

    engine = make_engine(settings.db_url, schema=settings.db_schema, pool_size=settings.pool_size)
    if migrate_db:
        migrate(engine, schema=settings.db_schema)
    sessions = session_factory(engine)
    app = FastAPI(title="wattprint server", version=__version__, redirect_slashes=True,
                  lifespan=_lifespan)  # fmt: skip
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.session_key = _session_key(sessions)
    app.state.rate_limiter = RateLimiter(settings.rate_per_s, settings.rate_burst)
    for router in (api_codecarbon.router, api_orgs.router, api_members.router, api_native.router):
        app.include_router(router)
        app.include_router(router, prefix="/api", include_in_schema=False)
    app.include_router(metrics.router)
    dashboard.install(app)
    if settings.oidc is not None:
        from wattprint.server import oidc

        oidc.install(app, settings.oidc)
    _install_errors(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Give each worker as many request threads as connections, opened before the first request.

    A thread then always finds a connection (no wait, no connection made
    and dropped under load), and the database is not asked for more
    concurrent work than a few cores can do.
    """
    import anyio.to_thread

    size = app.state.settings.pool_size
    anyio.to_thread.current_default_thread_limiter().total_tokens = size
    await run_in_threadpool(_open_pool, app.state.engine, size)
    yield
    app.state.engine.dispose()


def _open_pool(engine: Engine, count: int) -> None:
    """Open ``count`` pooled connections now (a database that is down is left for later)."""
    if engine.dialect.name != "postgresql":
        return
    held = []
    try:
        for _ in range(count):
            held.append(engine.connect())
    except OperationalError as err:
        logger.warning("wattprint server: the database is not reachable yet (%s)", err.orig)
    finally:
        for conn in held:
            conn.close()


def app_from_env() -> FastAPI:
    """Return the app for the settings in ``WATTPRINT_SERVER_*`` (uvicorn workers call this)."""
    return create_app(ServerSettings.from_env(), migrate_db=False)


def _session_key(sessions: Any) -> str:
    """Return the key that signs session cookies, made once and shared through the database."""
    with sessions() as db:
        insert_ignore(db, m.ServerSecret, {"name": "session", "value": secrets.token_urlsafe(48)})
        db.commit()
        return str(db.execute(select(m.ServerSecret.value).where(m.ServerSecret.name == "session"))
                   .scalar_one())  # fmt: skip


def _install_errors(app: FastAPI) -> None:
    """Make every error a JSON body with ``detail`` (HTML pages have their own)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append({"field": where, "msg": f"{where}: {err.get('msg', 'invalid')}",
                             "loc": list(err.get("loc", ())), "type": err.get("type")})  # fmt: skip
        return JSONResponse(status_code=422, content={"detail": problems})

    @app.exception_handler(OperationalError)
    @app.exception_handler(SqlTimeoutError)
    async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
        # the database is down, restarting or out of connections: the client may retry
        logger.warning("wattprint server: %s %s: database unavailable (%s)",
                       request.method, request.url.path, getattr(exc, "orig", exc))  # fmt: skip
        return JSONResponse(
            status_code=503,
            content={"detail": "The database is not available; retry later"},
            headers={"Retry-After": str(DB_RETRY_AFTER_S)},
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("wattprint server: %s %s failed", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "Internal error (logged)"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code, content={"detail": exc.detail}, headers=exc.headers
        )


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        seen = 0
        too_big = False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted, send)
        if too_big:
            logger.info("wattprint server: a streamed body over %s bytes was cut", self.max_bytes)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"The request body is larger than %d bytes"}' % self.max_bytes
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

"""FastAPI dependencies: a database session per request, and the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from wattprint.server.access import Principal, identify


async def get_db(request: Request) -> AsyncIterator[Session]:
    """Yield a session of the app's database, closed after the request.

    Async, so that FastAPI does not hand it to a worker thread twice per
    request (making a session does no I/O). Closing one still in a
    transaction rolls back over the network, so that is done in a thread.
    """
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


Db = Annotated[Session, Depends(get_db)]


def caller_of(request: Request, db: Session) -> Principal:
    """Return the caller, after the rate limit of its token or session (429 past it).

    The ingest routes call it themselves, in the thread that then writes,
    so one request takes one worker thread and one connection at a time.
    """
    who = identify(request, db)
    wait_s = request.app.state.rate_limiter.allow(who.rate_key)
    if wait_s > 0:
        raise HTTPException(
            status_code=429,
            detail="Too many requests for this token; retry later",
            headers={"Retry-After": str(max(1, round(wait_s)))},
        )
    return who


def get_caller(request: Request, db: Db) -> Principal:
    """Return the caller, after the rate limit of its token or session."""
    return caller_of(request, db)


Caller = Annotated[Principal, Depends(get_caller)]

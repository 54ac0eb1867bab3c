"""FastAPI dependencies: a database session per request, and the caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session

from wattprint.server.access import Principal, identify


def get_db(request: Request) -> Iterator[Session]:
    """Yield a session of the app's database, closed after the request."""
    with request.app.state.sessions() as session:
        yield session


Db = Annotated[Session, Depends(get_db)]


def get_caller(request: Request, db: Db) -> Principal:
    """Return the caller, after the rate limit of its token or session."""
    who = identify(request, db)
    wait_s = request.app.state.rate_limiter.allow(who.rate_key)
    if wait_s > 0:
        raise HTTPException(
            status_code=429,
            detail="Too many requests for this token; retry later",
            headers={"Retry-After": str(max(1, round(wait_s)))},
        )
    return who


Caller = Annotated[Principal, Depends(get_caller)]

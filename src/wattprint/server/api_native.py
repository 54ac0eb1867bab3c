"""wattprint's own ingest: the server sink's start, checkpoints and result, and ``push``."""

from __future__ import annotations

from fastapi import APIRouter, Request

from wattprint.server import schemas as s
from wattprint.server.access import forbidden
from wattprint.server.deps import Db, caller_of
from wattprint.server.store import ingest

router = APIRouter(tags=["wattprint"])


@router.post("/v1/ingest", response_model=s.IngestAnswer)
def post_ingest(body: s.IngestMessage, request: Request, db: Db) -> s.IngestAnswer:
    """Store one message; the same ``(run_id, seq)`` sent again is stored once."""
    who = caller_of(request, db)
    if who.kind not in ("token", "admin"):
        raise forbidden("Not allowed to perform this action. Missing project token")
    return ingest(db, who, body)

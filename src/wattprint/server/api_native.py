"""wattprint's own ingest: the server sink's start, checkpoints and result, and ``push``."""

from __future__ import annotations

from fastapi import APIRouter

from wattprint.server import schemas as s
from wattprint.server.access import forbidden
from wattprint.server.deps import Caller, Db
from wattprint.server.store import ingest

router = APIRouter(tags=["wattprint"])


@router.post("/v1/ingest", response_model=s.IngestAnswer)
def post_ingest(body: s.IngestMessage, who: Caller, db: Db) -> s.IngestAnswer:
    """Store one message; the same ``(run_id, seq)`` sent again is stored once."""
    if who.kind not in ("token", "admin"):
        raise forbidden("Not allowed to perform this action. Missing project token")
    return ingest(db, who, body)

"""The on-disk outbox of the sinks that send results away (the webhook, later the server).

A result waits in its outbox folder as one file named by its run id, written
atomically, until the receiver acknowledged it; a sender claims a file with a
lock before sending it, so two processes never send the same file at once.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def default_outbox_dir(env: Mapping[str, str] | None = None) -> Path:
    """Return the default outbox: ``$XDG_DATA_HOME/wattprint/outbox`` (``~/.local/share/...``)."""
    from wattprint.paths import user_data_dir

    return user_data_dir(env) / "outbox"


def outbox_file_name(run_id: str) -> str:
    """Return the outbox file name of a run: its id, or a digest of an unusual one."""
    stem = run_id if _SAFE_ID.fullmatch(run_id) else hashlib.sha256(run_id.encode()).hexdigest()
    return f"{stem}.json"


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows: no claim; the Idempotency-Key still dedupes
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True

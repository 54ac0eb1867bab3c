"""Append one record to a file whole or not at all, on a line of its own.

Both file sinks append through :func:`append_whole`: under an exclusive
``flock`` (so concurrent processes write whole records), after a newline
when an earlier writer left the last line unfinished (so a damaged line
never swallows the next record), and with every byte's write checked: a
short write (a full disk, a quota) rolls the file back to its size before
the append and raises, so no partial record stays behind.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

Write = Callable[[int, memoryview], int]
"""``os.write``'s shape: write bytes to a descriptor, return how many were written."""


def append_whole(
    path: Path, record: bytes, *, header: bytes = b"", write: Write = os.write
) -> bool:
    """Append ``record`` (and ``header`` first when the file is empty) to ``path``.

    Args:
        path: the file; created if missing.
        record: the bytes of one record, ending in a newline.
        header: written before ``record`` when the file is empty.
        write: the system call that writes (a seam for tests).

    Returns:
        True when the file's last line was unfinished (a damaged line), so
        ``record`` went on a fresh line after it.

    Raises:
        OSError: the file cannot be opened or written; nothing of ``record``
            is left in it.
    """
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _lock(fd)
        size = os.fstat(fd).st_size
        damaged = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        data = (header if size == 0 else b"\n" if damaged else b"") + record
        _write_all_or_nothing(fd, data, size, write)
        return damaged
    finally:
        os.close(fd)  # closing releases the lock


def _write_all_or_nothing(fd: int, data: bytes, size: int, write: Write) -> None:
    """Write ``data`` at the end of ``fd``; on any failure, truncate back to ``size``."""
    view = memoryview(data)
    try:
        while view:  # one write() for a regular file; the loop only guards short writes
            written = write(fd, view)
            if written <= 0:
                raise OSError(errno.ENOSPC, "nothing more could be written (is the disk full?)")
            view = view[written:]
    except OSError as err:
        try:
            os.ftruncate(fd, size)
        except OSError:
            pass  # the original error says more; the row goes to the fallback anyway
        if err.errno == errno.ENOSPC and len(view) != len(data):
            raise OSError(
                errno.ENOSPC,
                f"{os.strerror(errno.ENOSPC)}: {len(data) - len(view)} of {len(data)} bytes "
                "written, rolled back",
            ) from err
        raise


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: appends of one write() are still whole records
        return
    fcntl.flock(fd, fcntl.LOCK_EX)

"""JSON lines: one whole run per line, the format reports and the server read.

Each line is :func:`wattprint.records.run_dict.run_to_dict` of one finished run:
every figure, the tasks and the full methodology, with a ``schema`` field
naming the version of the form. Lines are appended under an exclusive file
lock (``flock``) with one ``write()`` of the whole line, so any number of
processes appending to one file produce whole lines. A line left damaged by
a crash (a full disk, a killed writer) stays alone on its line: the next
writer starts on a fresh one, and :func:`read_jsonl` reports it with its
file and line number, or skips it when asked.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from wattprint.errors import DataError
from wattprint.records.run_dict import run_to_dict
from wattprint.results import RunResult

logger = logging.getLogger("wattprint")


def _finite(value: Any) -> Any:
    """Return ``value`` with NaN and infinities made ``None`` (strict JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json(data: Mapping[str, Any]) -> bytes:
    """Return ``data`` as compact, strict JSON in UTF-8 (NaN and infinities become null)."""
    text = json.dumps(_finite(dict(data)), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def run_to_line(result: RunResult) -> bytes:
    """Return ``result`` as one line of strict JSON (UTF-8, ending in a newline)."""
    return to_json(run_to_dict(result)) + b"\n"


class JsonLinesSink:
    """Append each finished run to a JSON lines file, one object per line.

    When the file cannot be written (a read-only directory, a full disk), the
    line goes to a file of the same name in ``fallback_dir`` (the user data
    directory by default), with one warning naming it.

    Args:
        path: the file, e.g. ``./runs.jsonl``; its directory is created if missing.
        fallback_dir: where lines go when ``path`` cannot be written.
    """

    name = "jsonl"

    def __init__(self, path: str | os.PathLike[str], *, fallback_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.fallback_dir = fallback_dir
        self.written_to: Path | None = None

    def write(self, result: RunResult) -> None:
        """Append ``result`` as one line.

        Raises:
            OSError: neither the file nor the fallback could be written.
        """
        line = run_to_line(result)
        try:
            _append(self.path, line)
            self.written_to = self.path
        except OSError as err:
            from wattprint.paths import user_data_dir

            fallback = (self.fallback_dir or user_data_dir()) / self.path.name
            if fallback == self.path:
                raise
            _append(fallback, line)
            self.written_to = fallback
            logger.warning(
                "wattprint: %s cannot be written (%s); this run was written to %s instead",
                self.path,
                err.strerror or err,
                fallback,
            )


def _append(path: Path, line: bytes) -> None:
    """Append ``line`` to ``path`` under an exclusive lock, on a line of its own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _lock(fd)
        size = os.fstat(fd).st_size
        if size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line  # an earlier writer died mid-line: keep its debris apart
        view = memoryview(line)
        while view:  # one write() for a regular file; the loop only guards short writes
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)  # closing releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: appends of one write() are still whole lines
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def read_jsonl(
    path: str | os.PathLike[str], *, skip_damaged: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON lines file, in file order; blank lines are ignored.

    Args:
        path: the file.
        skip_damaged: skip lines that are not a JSON object (one warning
            at the end gives their count and the first line number)
            instead of raising.

    Raises:
        DataError: a line is not a JSON object (and ``skip_damaged`` is False);
            the message names the file and the line number.
        OSError: the file cannot be read.
    """
    path = Path(path)
    damaged: list[int] = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
                if not isinstance(value, dict):
                    raise ValueError(f"a JSON {type(value).__name__}, not an object")
            except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                if not skip_damaged:
                    snippet = raw[:60].decode("utf-8", "replace").rstrip()
                    raise DataError(
                        f"{path}:{number}: damaged line, expected one JSON object "
                        f"({err}): {snippet!r}"
                    ) from err
                damaged.append(number)
                continue
            yield value
    if damaged:
        logger.warning(
            "wattprint: skipped %s damaged line(s) of %s (the first at line %s)",
            len(damaged),
            path,
            damaged[0],
        )

"""emissions.csv: one row per run, CodeCarbon's 38 columns first.

The columns and the row form are :mod:`wattprint.records`'; this sink only
appends. Rows are appended under an exclusive file lock, so concurrent runs
write whole rows; a row is written whole or not at all (a full disk rolls
the file back and the row goes to the data directory); a last line left
unfinished by a crash is kept apart from the new row. A file whose header is
not wattprint's is never rewritten: the row goes to a new file beside it,
and a warning names it.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wattprint._log import logger
from wattprint.sinks._append import Write, append_whole

if TYPE_CHECKING:
    from wattprint.records.columns import CODECARBON_COLUMNS, COLUMNS, WATTPRINT_COLUMNS
    from wattprint.records.csv_form import row_of
    from wattprint.results import RunResult

__all__ = ["CODECARBON_COLUMNS", "COLUMNS", "WATTPRINT_COLUMNS", "CsvSink", "row_of"]


def __getattr__(name: str) -> Any:
    """Give the columns and ``row_of`` of :mod:`wattprint.records`, loaded on first use.

    A tracker makes its sink when it is made; the row's form is loaded when the
    first row is written.
    """
    if name in ("CODECARBON_COLUMNS", "COLUMNS", "WATTPRINT_COLUMNS"):
        from wattprint.records import columns

        return getattr(columns, name)
    if name == "row_of":
        from wattprint.records.csv_form import row_of

        return row_of
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _header_of(path: Path) -> list[str] | None:
    """Return the file's header row, [] for an empty file, None if unreadable."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _target(path: Path) -> Path:
    """Return ``path``, or the first ``<stem>.wattprint-N<suffix>`` with wattprint's header."""
    from wattprint.records.csv_form import is_wattprint_header

    candidate, n = path, 0
    while candidate.exists() and candidate.stat().st_size > 0:
        header = _header_of(candidate)
        if header is not None and is_wattprint_header(header):
            return candidate
        n += 1
        candidate = path.with_name(f"{path.stem}.wattprint-{n}{path.suffix}")
    if candidate != path:
        logger.warning(
            "wattprint: %s has a header wattprint does not write (another tool's or an "
            "older format); it is left untouched and this run goes to %s",
            path,
            candidate,
        )
    return candidate


class CsvSink:
    """Append runs to an emissions.csv, never rewriting what is there.

    When the file cannot be written (the directory became read-only or was
    removed, the disk is full), the row goes to a file of the same name in
    ``fallback_dir`` (the user data directory by default), with one warning
    naming it.

    Args:
        path: the file, e.g. ``./emissions.csv``.
        fallback_dir: where rows go when ``path`` cannot be written.
        os_write: the system call that writes bytes (a seam for tests).
    """

    name = "csv"

    def __init__(
        self, path: Path, fallback_dir: Path | None = None, *, os_write: Write = os.write
    ) -> None:
        self.path = path
        self.fallback_dir = fallback_dir
        self.written_to: Path | None = None
        self._write = os_write

    def write(self, result: RunResult) -> None:
        """Append ``result`` as one row (with the header if the file is new).

        Raises:
            OSError: neither the file nor the fallback could be written.
        """
        from wattprint.records.csv_form import row_line

        row = row_line(result)
        try:
            self._append(_target(self.path), row)
        except OSError as err:
            from wattprint.paths import user_data_dir

            fallback = (self.fallback_dir or user_data_dir()) / self.path.name
            if fallback == self.path:
                raise
            fallback.parent.mkdir(parents=True, exist_ok=True)
            self._append(_target(fallback), row)
            logger.warning(
                "wattprint: %s cannot be written (%s); this run was written to %s instead",
                self.path,
                err.strerror or err,
                self.written_to,
            )

    def _append(self, target: Path, row: bytes) -> None:
        from wattprint.records.csv_form import header_line

        target.parent.mkdir(parents=True, exist_ok=True)  # settings only check it
        if append_whole(target, row, header=header_line(), write=self._write):
            logger.warning(
                "wattprint: the last line of %s was unfinished (a damaged row, left by a crash "
                "or a copy cut short); it is left as it is and this run starts a new line",
                target,
            )
        self.written_to = target

"""JSON lines: one whole run per line, the format reports and the server read.

Each line is :func:`wattprint.records.jsonl_form.run_to_line` of one finished
run: every figure, the tasks and the full methodology, with a ``schema``
field naming the version of the form. Lines are appended under an exclusive
file lock (``flock``), so any number of processes appending to one file
produce whole lines, and whole or not at all: a full disk rolls the file
back and the line goes to the data directory. A line left damaged by a crash
(a killed writer, a copy cut short) stays alone on its line: the next writer
starts on a fresh one, and :func:`read_jsonl` reports it with its file and
line number, or skips it when asked.
"""

from __future__ import annotations

import os
from pathlib import Path

from wattprint._log import logger
from wattprint.records.jsonl_form import run_to_line, to_json
from wattprint.records.read import read_jsonl
from wattprint.results import RunResult
from wattprint.sinks._append import Write, append_whole

__all__ = ["JsonLinesSink", "read_jsonl", "run_to_line", "to_json"]


class JsonLinesSink:
    """Append each finished run to a JSON lines file, one object per line.

    When the file cannot be written (a read-only directory, a full disk), the
    line goes to a file of the same name in ``fallback_dir`` (the user data
    directory by default), with one warning naming it.

    Args:
        path: the file, e.g. ``./runs.jsonl``; its directory is created if missing.
        fallback_dir: where lines go when ``path`` cannot be written.
        os_write: the system call that writes bytes (a seam for tests).
    """

    name = "jsonl"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fallback_dir: Path | None = None,
        os_write: Write = os.write,
    ) -> None:
        self.path = Path(path)
        self.fallback_dir = fallback_dir
        self.written_to: Path | None = None
        self._write = os_write

    def write(self, result: RunResult) -> None:
        """Append ``result`` as one line.

        Raises:
            OSError: neither the file nor the fallback could be written.
        """
        line = run_to_line(result)
        try:
            self._append(self.path, line)
        except OSError as err:
            from wattprint.paths import user_data_dir

            fallback = (self.fallback_dir or user_data_dir()) / self.path.name
            if fallback == self.path:
                raise
            self._append(fallback, line)
            logger.warning(
                "wattprint: %s cannot be written (%s); this run was written to %s instead",
                self.path,
                err.strerror or err,
                fallback,
            )

    def _append(self, path: Path, line: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if append_whole(path, line, write=self._write):
            logger.warning(
                "wattprint: the last line of %s was unfinished (a damaged line, left by a crash "
                "or a copy cut short); it is left as it is and this run starts a new line",
                path,
            )
        self.written_to = path

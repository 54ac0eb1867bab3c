"""Where ``wattprint run --json-out`` puts the result, so that it never mixes with the command's.

``--json-out PATH`` writes the JSON to a file. ``--json-out -`` writes it to
stdout, and to keep stdout parseable the command's own stdout goes to stderr
while it runs (file descriptor 1 points at stderr for the command, and is
restored before the JSON is printed).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint.errors import WattprintError

if TYPE_CHECKING:
    from wattprint.results import RunResult

WriteJson = Callable[["RunResult"], None]


def _document(result: RunResult) -> str:
    from wattprint.records.run_dict import run_to_dict

    return json.dumps(run_to_dict(result), indent=2) + "\n"


@contextmanager
def json_destination(path: Path | None) -> Iterator[WriteJson]:
    """Yield the function that writes the result as JSON to ``path`` (``-``: stdout).

    Raises:
        WattprintError: the file cannot be written (it names the file).
    """
    if path is None:
        yield lambda result: None
        return
    if str(path) != "-":

        def to_file(result: RunResult) -> None:
            try:
                path.write_text(_document(result), encoding="utf-8")
            except OSError as err:
                raise WattprintError(
                    f"--json-out {path}: cannot be written ({err.strerror or err})"
                ) from err

        yield to_file
        return
    pending: list[RunResult] = []
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)  # the command inherits stderr as its stdout
    try:
        yield pending.append
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    for result in pending:
        sys.stdout.write(_document(result))
        sys.stdout.flush()

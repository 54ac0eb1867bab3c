"""Reading the small CSV tables wattprint ships, or a file given in their place.

A shipped table is read with plain file access from the package's ``data``
folder (``importlib.resources`` only where the package is not a folder, as in
a zip file), and a run reads only the rows it needs: :func:`find_line` finds
the line of one key without parsing the others. The shipped tables are
checked whole by the test suite; a table given as a file is parsed and
checked whole by its reader.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from wattprint.errors import DataError


def table_label(package: str, name: str, path: Path | None) -> str:
    """Return how to name a table in messages: the file given, or the shipped file."""
    if path is not None:
        return str(path)
    return f"{package.replace('.', '/')}/data/{name}"


def _shipped_file(package: str, name: str) -> str | None:
    """Return the path of the shipped table ``name`` on disk, or None (e.g. in a zip file)."""
    module = sys.modules.get(package)
    init = getattr(module, "__file__", None)
    if not init:
        return None
    path = os.path.join(os.path.dirname(init), "data", name)
    return path if os.path.isfile(path) else None


def read_table(package: str, name: str, path: Path | None, what: str) -> str:
    """Return the text of ``path``, or of the table ``name`` shipped in ``package/data``.

    Raises:
        DataError: the file cannot be read; the message names ``what`` and the file.
    """
    try:
        if path is not None:
            return path.read_text(encoding="utf-8")
        shipped = _shipped_file(package, name)
        if shipped is not None:
            with open(shipped, encoding="utf-8") as f:
                return f.read()
        from importlib import resources  # the package is not a folder on disk

        return resources.files(package).joinpath("data", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        label = table_label(package, name, path)
        raise DataError(f"cannot read the {what} {label}: {err}") from err


def find_line(
    text: str, columns: tuple[str, ...], label: str, key: str, column: int = 0
) -> tuple[int, str] | None:
    """Return the first data line (and its line number) whose field ``column`` is ``key``.

    Comments (``#``) and blank lines are skipped; the header must be ``columns``.
    Case and the spaces around a field are ignored. Only the fields up to
    ``column`` are split (they must hold no quoted comma), the rest of the line
    is left to the caller's parser.

    Raises:
        DataError: the header is not ``columns``.
    """
    lines = text.split("\n")
    header = next((i for i, line in enumerate(lines) if line.strip() and line[0] != "#"), None)
    if header is None or tuple(lines[header].rstrip("\r").split(",")) != columns:
        found = lines[header].rstrip("\r") if header is not None else None
        raise DataError(f"{label}: expected columns {columns}, found {found!r}")
    wanted = key.strip().upper()
    for number in range(header + 1, len(lines)):
        fields = lines[number].split(",", column + 1)
        if len(fields) > column and fields[column].strip().upper() == wanted:
            line = lines[number]
            if not line.startswith("#"):
                return number + 1, line.rstrip("\r")
    return None

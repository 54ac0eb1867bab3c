"""Reading the small CSV tables wattprint ships, or a file given in their place."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from wattprint.errors import DataError


def table_label(package: str, name: str, path: Path | None) -> str:
    """Return how to name a table in messages: the file given, or the shipped file."""
    if path is not None:
        return str(path)
    return f"{package.replace('.', '/')}/data/{name}"


def read_table(package: str, name: str, path: Path | None, what: str) -> str:
    """Return the text of ``path``, or of the table ``name`` shipped in ``package/data``.

    Raises:
        DataError: the file cannot be read; the message names ``what`` and the file.
    """
    try:
        if path is not None:
            return path.read_text(encoding="utf-8")
        return resources.files(package).joinpath("data", name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        label = table_label(package, name, path)
        raise DataError(f"cannot read the {what} {label}: {err}") from err

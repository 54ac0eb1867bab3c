r"""The report as JSON (``wattprint.report/1``), in one canonical form.

Canonical: keys sorted, no spaces, UTF-8 (not ``\u`` escapes), no NaN or
infinity, floats as Python writes them (the shortest form that reads back
to the same number). The file written is that form plus a newline, so the
bytes a signature covers are the bytes of the file, less the signature.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wattprint.errors import DataError
from wattprint.records.run_dict import plain
from wattprint.report.model import REPORT_SCHEMA, Report


def report_to_dict(report: Report) -> dict[str, Any]:
    """Return the report as plain JSON-ready data."""
    data: dict[str, Any] = plain(report)
    if not data.get("runs_not_listed"):
        data.pop("runs_not_listed", None)  # every run listed: the form of a small report
    return data


def canonical(data: Mapping[str, Any]) -> bytes:
    """Return ``data`` in the canonical form: sorted keys, no spaces, UTF-8.

    Raises:
        ValueError: the data holds NaN or an infinity (not valid JSON).
    """
    text = json.dumps(
        data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def render_json(data: Mapping[str, Any]) -> str:
    """Return the report file's text: the canonical form and a newline."""
    return canonical(data).decode("utf-8") + "\n"


def read_report(path: str | Path) -> dict[str, Any]:
    """Read a JSON report file.

    Raises:
        DataError: the file is missing, not JSON, or not a ``wattprint.report/1``
            report; the message names the file (and the line of a JSON error).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot be read ({err})") from err
    try:
        data = json.loads(text)
    except ValueError as err:
        line = getattr(err, "lineno", "?")
        raise DataError(f"{path}:{line}: not JSON ({err})") from err
    if not isinstance(data, dict) or data.get("schema") != REPORT_SCHEMA:
        schema = data.get("schema") if isinstance(data, dict) else None
        raise DataError(f"{path}: schema {schema!r}, expected {REPORT_SCHEMA!r}")
    return data

"""Results as plain data (JSON-ready) and back.

One canonical form for every output that writes a whole result (JSON lines,
webhooks, reports, the server): dataclasses become objects, tuples become
lists, datetimes ISO 8601 strings in UTC. ``schema`` names the version of
this form so readers can tell what they hold.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from ._version import __version__
from .results import RunResult

SCHEMA = "wattprint.run/1"
"""Name and version of the plain-data form of a run."""


def plain(value: Any) -> Any:
    """Return ``value`` with dataclasses, tuples and datetimes made JSON-ready."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def run_to_dict(result: RunResult) -> dict[str, Any]:
    """Return the whole run, methodology and tasks included, as plain data."""
    data: dict[str, Any] = {"schema": SCHEMA, "wattprint_version": __version__}
    data.update(plain(result))
    data["emissions_rate_kg_per_s"] = result.emissions_rate_kg_per_s
    data["measured_share"] = result.measured_share
    return data

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

from wattprint._version import __version__
from wattprint.results import RunResult

SCHEMA = "wattprint.run/1"
"""Name and version of the plain-data form of a run."""


_AS_IS = frozenset({str, int, float, bool, type(None)})


_FIELDS: dict[type, tuple[str, ...] | None] = {}
"""The field names of each class :func:`plain` met (None: not a dataclass), found once each."""


def _field_names(cls: type) -> tuple[str, ...] | None:
    """Return the field names of a dataclass, None for any other class."""
    if cls not in _FIELDS:
        fields = dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else None
        _FIELDS[cls] = tuple(f.name for f in fields) if fields is not None else None
    return _FIELDS[cls]


def plain(value: Any) -> Any:
    """Return ``value`` with dataclasses, tuples and datetimes made JSON-ready."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
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


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _build(cls: type[Any], data: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def run_from_dict(data: dict[str, Any]) -> RunResult:
    """Rebuild a :class:`RunResult` from :func:`run_to_dict`'s form.

    Raises:
        DataError: the data is not a run of a known schema, or a field is missing.
    """
    from wattprint.errors import DataError
    from wattprint.provenance import BASES, Intensity, Location
    from wattprint.results import ComponentMethod, Host, Methodology, PowerPoint, TaskResult

    if data.get("schema") != SCHEMA:
        raise DataError(f"not a wattprint run: schema {data.get('schema')!r}, expected {SCHEMA!r}")
    try:

        def intensity(i: dict[str, Any]) -> Intensity:
            # Records written before the basis existed hold none: the default,
            # lifecycle, was the basis of the country figures then shipped.
            if i.get("basis", "lifecycle") not in BASES:
                raise ValueError(f"intensity basis {i['basis']!r} is not one of {BASES}")
            built: Intensity = _build(Intensity, i)
            return built

        def methodology(m: dict[str, Any]) -> Methodology:
            return Methodology(
                components=tuple(_build(ComponentMethod, c) for c in m["components"]),
                intensity=intensity(m["intensity"]),
                location=_build(Location, m["location"]),
                pue_source=m.get("pue_source", ""),
                water=m.get("water", ""),
                embodied=m.get("embodied", ""),
                notes=tuple(m.get("notes", ())),
            )

        def common(d: dict[str, Any]) -> dict[str, Any]:
            out = dict(d)
            out["started_at"] = _parse_time(d["started_at"])
            out["ended_at"] = _parse_time(d["ended_at"])
            out["location"] = _build(Location, d["location"])
            out["methodology"] = methodology(d["methodology"])
            return out

        run = common(data)
        run["host"] = _build(Host, data["host"])
        run["tasks"] = tuple(_build(TaskResult, common(t)) for t in data.get("tasks", ()))
        run["series"] = tuple(_build(PowerPoint, p) for p in data.get("series", ()))
        result: RunResult = _build(RunResult, run)
        return result
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"a wattprint run is missing or has a bad field: {err!r}") from err

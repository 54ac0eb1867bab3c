"""Typed, located reads of a record's fields, and what a record leaves unknown."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime

from wattprint.errors import DataError
from wattprint.records.record import RunRecord
from wattprint.units import BYTES_PER_GB, BYTES_PER_GIB


class Fields:
    """Typed reads of one record's fields; a bad value names the file, line and field.

    Args:
        origin: ``path:line`` of the record.
        get: returns a field's raw value, or None when absent.
    """

    def __init__(self, origin: str, get: Callable[[str], object]) -> None:
        self.origin = origin
        self._get = get

    def _bad(self, key: str, value: object, wanted: str) -> DataError:
        return DataError(f"{self.origin}: field {key!r} is {value!r}, expected {wanted}")

    def raw(self, key: str) -> object:
        """Return the raw value of ``key`` (None when absent or empty)."""
        value = self._get(key)
        return None if value == "" else value

    def number(self, key: str) -> float | None:
        """Return ``key`` as a float; None when absent or empty."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self._bad(key, value, "a number")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise self._bad(key, value, "a number") from None
        return number if math.isfinite(number) else None  # "nan", "inf": not a figure

    def integer(self, key: str) -> int | None:
        """Return ``key`` as an int; None when absent or empty."""
        number = self.number(key)
        if number is None:
            return None
        if not number.is_integer():
            raise self._bad(key, self.raw(key), "a whole number")
        return int(number)

    def text(self, key: str) -> str | None:
        """Return ``key`` as a string; None when absent or empty."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, (dict, list)):
            raise self._bad(key, value, "a string")
        return str(value)

    def time(self, key: str) -> datetime | None:
        """Return ``key`` parsed as an ISO 8601 time; None when absent or empty."""
        raw = self.raw(key)
        if isinstance(raw, datetime):
            return raw
        value = self.text(key)
        if value is None:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise self._bad(key, value, "an ISO 8601 time") from None

    def sub(self, key: str) -> Fields:
        """Return the fields of the object ``key`` (empty when absent)."""
        value = self.raw(key)
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise self._bad(key, value, "an object")
        return Fields(self.origin, value.get)

    def items(self, key: str) -> list[Fields]:
        """Return the fields of each object of the list ``key`` (empty when absent)."""
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self._bad(key, value, "a list of objects")
        return [Fields(self.origin, v.get) for v in value]


_WATCHED: tuple[tuple[str, Callable[[RunRecord], object]], ...] = (
    ("run_id", lambda r: r.run_id),
    ("started_at", lambda r: r.started_at),
    ("ended_at", lambda r: r.ended_at),
    ("duration_s", lambda r: r.duration_s),
    ("energy_kwh", lambda r: r.energy_kwh),
    ("emissions_kg", lambda r: r.emissions_kg),
    ("intensity_g_per_kwh", lambda r: r.intensity.g_per_kwh),
    ("intensity_source", lambda r: r.intensity.source),
    ("intensity_year", lambda r: r.intensity.year),
    ("intensity_kind", lambda r: r.intensity.kind),
    ("water_l", lambda r: r.water_l),
    ("water_source", lambda r: r.water_source if r.water_l else ""),
    ("pue", lambda r: r.pue),
    ("pue_source", lambda r: r.pue_source),
    ("wue_l_per_kwh", lambda r: r.wue_l_per_kwh),
    ("location_how", lambda r: r.place.how),
    ("status", lambda r: r.status),
    ("mode", lambda r: r.mode),
    ("cpu_model", lambda r: r.host.cpu_model),
    ("ram_total_gb", lambda r: r.host.ram_total_gb),
    ("units", lambda r: r.units),
)


def unknown_of(record: RunRecord) -> tuple[str, ...]:
    """Return the names of the fields ``record`` leaves unknown."""
    names = [name for name, get in _WATCHED if get(record) is None]
    names += [
        f"{c.component}_{what}"
        for c in record.components
        for what, value in (("energy_kwh", c.it_energy_kwh), ("method", c.method))
        if value is None
    ]
    if record.format != "wattprint-jsonl":
        names.append("tasks")
    return tuple(names)


def ram_gb_from_gib(gib: float | None) -> float | None:
    """Return memory given in GiB (CodeCarbon's ``ram_total_size``) in GB."""
    return gib * BYTES_PER_GIB / BYTES_PER_GB if gib is not None else None

"""The shipped table of annual average grid emissions intensity per country.

A country's grid intensity is the greenhouse gas emitted per kilowatt-hour of
electricity generated there, in gCO2e/kWh. The table holds Ember's lifecycle
figure for the newest year Ember publishes for each country (2022 to 2024),
plus a World row (iso3 ``WLD``, no alpha-2 code) to fall back on. Countries
are looked up by ISO 3166 alpha-3 or alpha-2 code.

The table is ``grid/data/country_intensity.csv``, built by
``scripts/build_country_intensity.py``; ``grid/data/SOURCES.md`` credits the
sources (Ember, CC BY 4.0). It is read on first use and cached on the
:class:`CountryTable` instance; a lookup in the shipped table parses only
the row it finds (the tests check the whole file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, DataError
from wattprint.grid.basis import checked_basis
from wattprint.provenance import IntensityBasis
from wattprint.tables import find_line, read_table, table_label

WORLD_ISO3 = "WLD"
"""The code of the World row, a user-assigned alpha-3 code (as the World Bank uses)."""

_TABLE_NAME = "country_intensity.csv"
_COLUMNS = ("iso3", "iso2", "name", "intensity_g_per_kwh", "year", "source", "basis")
_RESERVED = {"UK": "GB", "EL": "GR"}
"""Codes ISO 3166 reserves for other uses, with the country code people mean."""
_ACCEPTED = "an ISO 3166 alpha-3 or alpha-2 code such as 'FRA' or 'FR'"


class CountryIntensity(NamedTuple):
    """The annual average grid emissions intensity of one country.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code, e.g. ``FRA`` (``WLD`` for the World).
        iso2: ISO 3166-1 alpha-2 code, e.g. ``FR``; empty when none is known.
        name: the country's name as the source spells it.
        intensity_g_per_kwh: lifecycle emissions per unit of electricity
            generated, annual average. Units: gCO2e/kWh.
        year: the calendar year the figure describes.
        source: who published the figure, e.g. ``Ember (2025)``.
        basis: ``lifecycle`` or ``direct``: what the figure counts (see
            :data:`wattprint.provenance.IntensityBasis`).
    """

    iso3: str
    iso2: str
    name: str
    intensity_g_per_kwh: float
    year: int
    source: str
    basis: IntensityBasis = "lifecycle"


class _Loaded(NamedTuple):  # private: a named tuple costs a seventh of a dataclass to define
    rows: tuple[CountryIntensity, ...]
    by_code: dict[str, CountryIntensity]


class CountryTable:
    """Look up countries' grid intensity in the shipped (or a given) table.

    The file is read on first use and kept on the instance.
    """

    __slots__ = ("_path", "_loaded", "_text", "_found")

    def __init__(self, path: Path | None = None) -> None:
        """Create a table reading ``path``, or the shipped table when ``None``."""
        self._path = path
        self._loaded: _Loaded | None = None
        self._text: str | None = None
        self._found: dict[str, CountryIntensity] = {}

    def lookup(self, code: str) -> CountryIntensity:
        """Return the row of a country given its alpha-3 or alpha-2 code.

        Case and surrounding spaces are ignored.

        Args:
            code: an ISO 3166-1 alpha-3 (``FRA``) or alpha-2 (``FR``) code.

        Returns:
            The country's row.

        Raises:
            ConfigError: the code is not in the table; the message suggests a
                close match when there is one.
        """
        key = code.strip().upper() if isinstance(code, str) else ""
        found = self._found.get(key)
        if found is None and self._loaded is None and self._path is None:
            found = self._one_row(key)  # the shipped table: read the row asked for
        if found is None:
            loaded = self._load()
            found = loaded.by_code.get(key)
            if found is None:
                raise ConfigError("country", code, _ACCEPTED + _suggestion(code, loaded.rows))
        self._found[key] = found
        return found

    def _one_row(self, key: str) -> CountryIntensity | None:
        """Find the row of ``key`` (alpha-3 or alpha-2 code), parsing no other row."""
        if len(key) not in (2, 3) or not key.isalnum():
            return None
        if self._text is None:
            self._text = self._read_text()
        column = 1 if len(key) == 2 else 0  # iso2, else iso3
        line = find_line(self._text, _COLUMNS, self._label(), key, column)
        if line is None:
            return None
        number, text = line
        return _entry(dict(zip(_COLUMNS, next(csv.reader([text])), strict=False)),
                      self._label(), number)  # fmt: skip

    def world(self) -> CountryIntensity:
        """Return the World row, the fallback when the country is unknown."""
        return self.lookup(WORLD_ISO3)

    def __iter__(self) -> Iterator[CountryIntensity]:
        """Iterate over the rows in table order (by alpha-3 code)."""
        return iter(self._load().rows)

    def __len__(self) -> int:
        """Return the number of rows, the World row included."""
        return len(self._load().rows)

    def _load(self) -> _Loaded:
        if self._loaded is None:
            text = self._text if self._text is not None else self._read_text()
            self._loaded = _parse(text, self._label())
            self._text = None
        return self._loaded

    def _label(self) -> str:
        return table_label("wattprint.grid", _TABLE_NAME, self._path)

    def _read_text(self) -> str:
        return read_table("wattprint.grid", _TABLE_NAME, self._path, "country table")


def _parse(text: str, label: str) -> _Loaded:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != _COLUMNS:
        raise DataError(f"{label}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    rows: list[CountryIntensity] = []
    by_code: dict[str, CountryIntensity] = {}
    for row in reader:
        entry = _entry(row, label, reader.line_num)
        for key in (entry.iso3, entry.iso2):
            if key and by_code.setdefault(key, entry) is not entry:
                raise DataError(f"{label}: the code {key!r} appears twice")
        rows.append(entry)
    if not rows:
        raise DataError(f"{label}: the table has no rows")
    return _Loaded(rows=tuple(rows), by_code=by_code)


def _entry(row: dict[str, str], label: str, line: int) -> CountryIntensity:
    """Return the checked row ``row`` (its fields by column) of line ``line``.

    Raises:
        DataError: a field is missing or not of its type, or a code has the wrong length.
    """
    try:
        entry = CountryIntensity(
            iso3=row["iso3"].strip().upper(),
            iso2=row["iso2"].strip().upper(),
            name=row["name"].strip(),
            intensity_g_per_kwh=float(row["intensity_g_per_kwh"]),
            year=int(row["year"]),
            source=row["source"].strip(),
            basis=checked_basis(row["basis"]),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise DataError(f"{label}, line {line}: bad row {row!r}") from err
    if len(entry.iso3) != 3 or entry.iso2 and len(entry.iso2) != 2:
        raise DataError(f"{label}, line {line}: bad codes {row!r}")
    return entry


def _suggestion(code: object, rows: tuple[CountryIntensity, ...]) -> str:
    """Return ``" (did you mean 'FRA' (France)?)"`` for the closest code or name, or ``""``."""
    if not isinstance(code, str) or not code.strip():
        return ""
    wanted = code.strip()
    if wanted.upper() in _RESERVED:  # 'UK' and 'EL' are not ISO alpha-2 codes
        return f" (did you mean {_RESERVED[wanted.upper()]!r}?)"
    by_key: dict[str, CountryIntensity] = {}
    for row in rows:
        for key in (row.iso3, row.iso2):
            if key:
                by_key.setdefault(key, row)
        by_key.setdefault(row.name.upper(), row)
    upper = wanted.upper()
    if upper in by_key:  # a country name, exactly
        match = by_key[upper]
        return f" (did you mean {match.iso3!r} ({match.name})?)"
    import difflib  # only on this error path, to keep the import cheap

    close = difflib.get_close_matches(upper, list(by_key), n=1, cutoff=0.75)
    if not close:
        return ""
    match = by_key[close[0]]
    return f" (did you mean {match.iso3!r} ({match.name})?)"

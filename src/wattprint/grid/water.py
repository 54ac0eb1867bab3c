"""The shipped table of grid water intensity: water consumed per kWh generated.

Thermal power plants evaporate water to cool their steam cycle; wind and
solar PV use almost none. A grid's water intensity is the water *consumed*
(evaporated, not returned; withdrawals are not counted) at its power plants
per kWh they generate, in L/kWh: the sum over technologies of each one's
share of generation times its consumption factor. The factors are Macknick
et al. (2012) medians for the common thermal technology with a cooling
tower; hydropower counts zero (reservoir evaporation is left out). Rows are
keyed by country (ISO alpha-3, ``WLD`` for the World) or by region code
(``US-CA``, ``IN-MH``, ``CA-QC``).

The table is ``grid/data/water_intensity.csv``, built by
``scripts/build_water_intensity.py`` and credited (mixes, factors, what
each row's ``detail`` means) in ``grid/data/SOURCES.md``. It is read on
first use and cached on the :class:`WaterTable` instance; a lookup in the
shipped table parses only the rows it finds (the tests check the whole file).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple
from wattprint.errors import DataError
from wattprint.tables import find_line, read_table, table_label

if TYPE_CHECKING:
    from wattprint.grid.regions import RegionTable

WORLD_KEY = "WLD"
"""The key of the World row."""

_TABLE_NAME = "water_intensity.csv"
_COLUMNS = ("key", "water_l_per_kwh", "year", "source", "detail")


class WaterIntensity(NamedTuple):
    """The water consumed by a grid's power plants per kWh they generate.

    Attributes:
        key: ISO 3166-1 alpha-3 code (``FRA``, ``WLD`` for the World) or a
            region code of the region table (``US-CA``).
        water_l_per_kwh: water consumed at the power plants per unit of
            electricity generated, annual average. Units: L/kWh.
        year: the year of the generation mix.
        source: where the mix and the factors come from.
        detail: the generation mix behind the figure, e.g.
            ``2021 mix: coal 36.5%, gas 22.2%, ...``.
    """

    key: str
    water_l_per_kwh: float
    year: int
    source: str
    detail: str


class WaterTable:
    """Look up grid water intensity in the shipped (or a given) table.

    The file is read on first use and kept on the instance.
    """

    __slots__ = ("_path", "_regions", "_by_key", "_text", "_found")

    def __init__(self, path: Path | None = None, *, regions: RegionTable | None = None) -> None:
        """Create a table reading ``path``, or the shipped table when ``None``.

        Args:
            path: the CSV file to read; ``None`` for the shipped table.
            regions: the region table used to resolve region spellings
                (``California`` -> ``US-CA``); the shipped one when ``None``.
        """
        self._path = path
        self._regions = regions
        self._by_key: dict[str, WaterIntensity] | None = None
        self._text: str | None = None
        self._found: dict[str, WaterIntensity | None] = {}

    def lookup(self, country_iso3: str, region: str | None = None) -> WaterIntensity | None:
        """Return the water intensity of a region, else of its country, else ``None``.

        Args:
            country_iso3: the country's ISO 3166-1 alpha-3 code (``USA``).
            region: optionally a region of that country, spelled as
                :meth:`RegionTable.lookup` accepts (``US-CA``, ``CA``,
                ``California``).

        Returns:
            The region's row when there is one, else the country's row, else
            ``None`` when the table has neither.

        Raises:
            ConfigError: the country has regional data but ``region`` is not
                one of its regions (a misspelling would otherwise go unseen).
        """
        country = country_iso3.strip().upper() if isinstance(country_iso3, str) else ""
        if region is not None and str(region).strip():
            regions = self._region_table()
            if country in regions.countries():
                found = self._get(regions.lookup(country, region).code)
                if found is not None:
                    return found
        return self._get(country)

    def world(self) -> WaterIntensity:
        """Return the World row, the fallback when the country is unknown."""
        found = self._get(WORLD_KEY)
        if found is None:
            raise DataError(f"{self._label()}: no World row ({WORLD_KEY})")
        return found

    def _get(self, key: str) -> WaterIntensity | None:
        """Return the row of ``key``; in the shipped table, parse only that row."""
        if self._by_key is not None or self._path is not None:
            return self._load().get(key)
        if key not in self._found:
            if self._text is None:
                self._text = self._read_text()
            line = find_line(self._text, _COLUMNS, self._label(), key) if key else None
            self._found[key] = None
            if line is not None:
                number, text = line
                row = dict(zip(_COLUMNS, next(csv.reader([text])), strict=False))
                self._found[key] = _entry(row, self._label(), number)
        return self._found[key]

    def _region_table(self) -> RegionTable:
        if self._regions is None:
            from wattprint.grid.regions import RegionTable

            self._regions = RegionTable()
        return self._regions

    def _load(self) -> dict[str, WaterIntensity]:
        if self._by_key is None:
            self._by_key = _parse(self._read_text(), self._label())
        return self._by_key

    def _label(self) -> str:
        return table_label("wattprint.grid", _TABLE_NAME, self._path)

    def _read_text(self) -> str:
        return read_table("wattprint.grid", _TABLE_NAME, self._path, "water table")


def _parse(text: str, label: str) -> dict[str, WaterIntensity]:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != _COLUMNS:
        raise DataError(f"{label}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    by_key: dict[str, WaterIntensity] = {}
    for row in reader:
        entry = _entry(row, label, reader.line_num)
        if by_key.setdefault(entry.key, entry) is not entry:
            raise DataError(f"{label}: the key {entry.key!r} appears twice")
    if not by_key:
        raise DataError(f"{label}: the table has no rows")
    return by_key


def _entry(row: dict[str, str], label: str, line: int) -> WaterIntensity:
    """Return the checked row ``row`` (its fields by column) of line ``line``.

    Raises:
        DataError: a field is missing or not of its type, or the figure is negative.
    """
    try:
        entry = WaterIntensity(
            key=row["key"].strip().upper(),
            water_l_per_kwh=float(row["water_l_per_kwh"]),
            year=int(row["year"]),
            source=row["source"].strip(),
            detail=row["detail"].strip(),
        )
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise DataError(f"{label}, line {line}: bad row {row!r}") from err
    if not entry.key or entry.water_l_per_kwh < 0:
        raise DataError(f"{label}, line {line}: bad row {row!r}")
    return entry

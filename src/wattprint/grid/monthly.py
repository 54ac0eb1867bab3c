"""The shipped table of monthly average grid emissions intensity per country.

A grid's emissions intensity moves with the seasons: hydro, solar and wind
output, heating and cooling demand. Where Ember publishes monthly figures
(about 90 countries, some from 2000, most from 2015 or 2019, to early 2025)
this table holds the lifecycle intensity of each month's generation, in
gCO2e/kWh, plus a World row (``WLD``). A run that knows its month can use it
instead of the annual average of :mod:`wattprint.grid.countries`.

The table is ``grid/data/country_monthly.csv``, built by
``scripts/build_monthly_intensity.py`` from Ember's monthly data (CC BY 4.0,
credited in ``grid/data/SOURCES.md``). It is read on first use and cached on
the :class:`MonthlyTable` instance.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, DataError
from wattprint.grid.basis import checked_basis
from wattprint.provenance import IntensityBasis
from wattprint.tables import read_table, table_label

_TABLE_NAME = "country_monthly.csv"
_COLUMNS = ("iso3", "month", "intensity_g_per_kwh", "source", "basis")
_MONTH = r"(\d{4})-(\d{2})"
"""A month, ``YYYY-MM`` (compiled on first use)."""


class MonthlyIntensity(NamedTuple):
    """The average grid emissions intensity of one country in one month.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code, e.g. ``FRA`` (``WLD`` for the World).
        year: the calendar year, e.g. ``2024``.
        month: the month of the year, 1 (January) to 12 (December).
        intensity_g_per_kwh: lifecycle emissions per unit of electricity
            generated in that month, monthly average. Units: gCO2e/kWh.
        source: who published the figure, e.g. ``Ember (2025)``.
        basis: ``lifecycle`` or ``direct``: what the figure counts (see
            :data:`wattprint.provenance.IntensityBasis`).
    """

    iso3: str
    year: int
    month: int
    intensity_g_per_kwh: float
    source: str
    basis: IntensityBasis = "lifecycle"


class MonthlyTable:
    """Look up countries' monthly grid intensity in the shipped (or a given) table.

    The file is read on first use and kept on the instance; a country's rows
    are parsed the first time that country is asked for (a run needs one); a
    month of the shipped table is looked up by its line alone.
    """

    __slots__ = ("_path", "_text", "_lines", "_parsed")

    def __init__(self, path: Path | None = None) -> None:
        """Create a table reading ``path``, or the shipped table when ``None``."""
        self._path = path
        self._text: str | None = None
        self._lines: dict[str, list[tuple[int, str]]] | None = None
        self._parsed: dict[str, tuple[MonthlyIntensity, ...]] = {}

    def lookup(self, iso3: str, year: int, month: int) -> MonthlyIntensity | None:
        """Return one country's figure for one month, or ``None`` when there is none.

        Args:
            iso3: an ISO 3166-1 alpha-3 code (``FRA``), or ``WLD``; case and
                surrounding spaces are ignored.
            year: the calendar year, e.g. ``2024``.
            month: the month, 1 (January) to 12 (December).

        Returns:
            The month's row, or ``None`` when the table has no figure for that
            country and month (Ember covers about 90 countries).

        Raises:
            ConfigError: ``year`` or ``month`` is not a valid integer.
        """
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise ConfigError("year", year, "a calendar year such as 2024")
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ConfigError("month", month, "an integer from 1 (January) to 12 (December)")
        key = iso3.strip().upper() if isinstance(iso3, str) else ""
        if self._path is None and key not in self._parsed:
            found = self._one_line(key, f"{year:04d}-{month:02d}")
            if found is not None:
                return found
        for entry in self._country(key):
            if entry.year == year and entry.month == month:
                return entry
        return None

    def _one_line(self, key: str, month: str) -> MonthlyIntensity | None:
        """Parse only the line of ``key`` and ``month``, if the table has it as written.

        A run needs one month or two of one country: the shipped table (whose
        every row the tests check) is searched for that line, not parsed whole.
        """
        if not key.isalnum():
            return None
        text = self._whole()
        begin = text.find(f"\n{key},{month},") + 1
        if begin <= 0:
            return None
        end = text.find("\n", begin)
        line = text[begin : end if end >= 0 else len(text)].rstrip("\r")
        return _parse([(text.count("\n", 0, begin) + 1, line)], self._label())[0]

    def months(self, iso3: str) -> list[MonthlyIntensity]:
        """Return every month the table holds for a country, oldest first.

        Args:
            iso3: an ISO 3166-1 alpha-3 code (``FRA``), or ``WLD``.

        Returns:
            The country's rows sorted by year and month; empty when the table
            has none for it.
        """
        key = iso3.strip().upper() if isinstance(iso3, str) else ""
        return list(self._country(key))

    def countries(self) -> tuple[str, ...]:
        """Return the alpha-3 codes with monthly figures, sorted (``WLD`` included)."""
        return tuple(sorted(self._index()))

    def _whole(self) -> str:
        if self._text is None:
            self._text = self._read_text()
        return self._text

    def _index(self) -> dict[str, list[tuple[int, str]]]:
        """Split the file into each country's lines (with their line numbers)."""
        if self._lines is None:
            text = self._whole()
            lines = text.splitlines()
            header = next((i for i, ln in enumerate(lines) if ln and not ln.startswith("#")), None)
            if header is None or tuple(lines[header].split(",")) != _COLUMNS:
                found = lines[header] if header is not None else None
                raise DataError(f"{self._label()}: expected columns {_COLUMNS}, found {found!r}")
            index: dict[str, list[tuple[int, str]]] = {}
            for number, line in enumerate(lines[header + 1 :], start=header + 2):
                if line.strip() and not line.startswith("#"):
                    index.setdefault(line.split(",", 1)[0].strip().upper(), []).append(
                        (number, line)
                    )
            if not index:
                raise DataError(f"{self._label()}: the table has no rows")
            self._lines = index
        return self._lines

    def _country(self, key: str) -> tuple[MonthlyIntensity, ...]:
        """Parse one country's rows; rows are grouped by country, so find its block."""
        if key not in self._parsed:
            if self._lines is not None:
                lines = self._lines.get(key, [])
            else:
                lines = _block(self._whole(), key)
            self._parsed[key] = _parse(lines, self._label())
        return self._parsed[key]

    def _label(self) -> str:
        return table_label("wattprint.grid", _TABLE_NAME, self._path)

    def _read_text(self) -> str:
        return read_table("wattprint.grid", _TABLE_NAME, self._path, "monthly table")


def _block(text: str, key: str) -> list[tuple[int, str]]:
    """Return the numbered lines of ``key``'s block (the table is grouped by country)."""
    if not key or "," in key or "\n" in key:
        return []
    start = text.find(f"\n{key},")
    if start < 0:
        return []
    number = text.count("\n", 0, start + 1) + 1
    out: list[tuple[int, str]] = []
    prefix = f"{key},"
    begin = start + 1
    while text.startswith(prefix, begin):  # line by line: never split the rest of the file
        end = text.find("\n", begin)
        end = len(text) if end < 0 else end
        out.append((number, text[begin:end].rstrip("\r")))
        number += 1
        begin = end + 1
    return out


def _parse(lines: list[tuple[int, str]], label: str) -> tuple[MonthlyIntensity, ...]:
    """Parse one country's numbered lines into its months, oldest first."""
    by_month: dict[tuple[int, int], MonthlyIntensity] = {}
    for number, row in zip(
        (n for n, _ in lines), csv.reader(line for _, line in lines), strict=True
    ):
        try:
            if len(row) != len(_COLUMNS):
                raise ValueError(f"{len(row)} fields")
            iso3, month_text, value, source, basis = (field.strip() for field in row)
            match = re.fullmatch(_MONTH, month_text)
            if match is None or not 1 <= int(match.group(2)) <= 12:
                raise ValueError(f"month {month_text!r} is not YYYY-MM")
            entry = MonthlyIntensity(
                iso3=iso3.upper(),
                year=int(match.group(1)),
                month=int(match.group(2)),
                intensity_g_per_kwh=float(value),
                source=source,
                basis=checked_basis(basis),
            )
        except (AttributeError, TypeError, ValueError) as err:
            raise DataError(f"{label}, line {number}: bad row {row!r} ({err})") from err
        if len(entry.iso3) != 3 or not entry.source:
            raise DataError(f"{label}, line {number}: bad row {row!r}")
        if by_month.setdefault((entry.year, entry.month), entry) is not entry:
            raise DataError(f"{label}, line {number}: {entry.iso3} {month_text} appears twice")
    return tuple(sorted(by_month.values(), key=lambda e: (e.year, e.month)))

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
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from wattprint.errors import ConfigError, DataError

_TABLE_NAME = "country_monthly.csv"
_COLUMNS = ("iso3", "month", "intensity_g_per_kwh", "source")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True, slots=True)
class MonthlyIntensity:
    """The average grid emissions intensity of one country in one month.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code, e.g. ``FRA`` (``WLD`` for the World).
        year: the calendar year, e.g. ``2024``.
        month: the month of the year, 1 (January) to 12 (December).
        intensity_g_per_kwh: lifecycle emissions per unit of electricity
            generated in that month, monthly average. Units: gCO2e/kWh.
        source: who published the figure, e.g. ``Ember (2025)``.
    """

    iso3: str
    year: int
    month: int
    intensity_g_per_kwh: float
    source: str


@dataclass(frozen=True, slots=True)
class _Loaded:
    by_country: dict[str, tuple[MonthlyIntensity, ...]]
    by_month: dict[tuple[str, int, int], MonthlyIntensity]


class MonthlyTable:
    """Look up countries' monthly grid intensity in the shipped (or a given) table.

    The file is read on first use and kept on the instance.
    """

    __slots__ = ("_path", "_loaded")

    def __init__(self, path: Path | None = None) -> None:
        """Create a table reading ``path``, or the shipped table when ``None``."""
        self._path = path
        self._loaded: _Loaded | None = None

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
        return self._load().by_month.get((key, year, month))

    def months(self, iso3: str) -> list[MonthlyIntensity]:
        """Return every month the table holds for a country, oldest first.

        Args:
            iso3: an ISO 3166-1 alpha-3 code (``FRA``), or ``WLD``.

        Returns:
            The country's rows sorted by year and month; empty when the table
            has none for it.
        """
        key = iso3.strip().upper() if isinstance(iso3, str) else ""
        return list(self._load().by_country.get(key, ()))

    def countries(self) -> tuple[str, ...]:
        """Return the alpha-3 codes with monthly figures, sorted (``WLD`` included)."""
        return tuple(sorted(self._load().by_country))

    def _load(self) -> _Loaded:
        if self._loaded is None:
            self._loaded = _parse(self._read_text(), self._label())
        return self._loaded

    def _label(self) -> str:
        return str(self._path) if self._path is not None else f"wattprint/grid/data/{_TABLE_NAME}"

    def _read_text(self) -> str:
        try:
            if self._path is not None:
                return self._path.read_text(encoding="utf-8")
            return (
                resources.files("wattprint.grid")
                .joinpath("data", _TABLE_NAME)
                .read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError) as err:
            raise DataError(f"cannot read the monthly table {self._label()}: {err}") from err


def _parse(text: str, label: str) -> _Loaded:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != _COLUMNS:
        raise DataError(f"{label}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    by_month: dict[tuple[str, int, int], MonthlyIntensity] = {}
    for row in reader:
        match = _MONTH.fullmatch((row["month"] or "").strip())
        try:
            if match is None or not 1 <= int(match.group(2)) <= 12:
                raise ValueError(f"month {row['month']!r} is not YYYY-MM")
            entry = MonthlyIntensity(
                iso3=row["iso3"].strip().upper(),
                year=int(match.group(1)),
                month=int(match.group(2)),
                intensity_g_per_kwh=float(row["intensity_g_per_kwh"]),
                source=row["source"].strip(),
            )
        except (AttributeError, TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}") from err
        if len(entry.iso3) != 3 or not entry.source:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}")
        key = (entry.iso3, entry.year, entry.month)
        if by_month.setdefault(key, entry) is not entry:
            raise DataError(f"{label}: {entry.iso3} {row['month']} appears twice")
    if not by_month:
        raise DataError(f"{label}: the table has no rows")
    grouped: dict[str, list[MonthlyIntensity]] = {}
    for entry in by_month.values():
        grouped.setdefault(entry.iso3, []).append(entry)
    by_country = {
        iso3: tuple(sorted(rows, key=lambda r: (r.year, r.month))) for iso3, rows in grouped.items()
    }
    return _Loaded(by_country=by_country, by_month=by_month)

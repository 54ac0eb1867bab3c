"""The shipped table of grid emissions intensity below the country level.

Large countries have several grids: Quebec runs on hydro, Alberta on gas,
West Virginia on coal. Where wattprint ships sub-national figures, a run
placed in a state, province or bidding zone uses that region's intensity
(gCO2e/kWh) instead of the national average:

- US states, DC and Puerto Rico (``US-CA`` ...) and Indian states and union
  territories (``IN-MH`` ...): Ember, emissions of in-state generation per
  kWh generated (2024 for the US, 2021 for India), each fuel at IPCC AR5's
  lifecycle median (``lifecycle``); production-based, and about 10 % below
  Ember's country figure (another method, same basis);
- Canadian provinces and territories (``CA-QC`` ...): 2023 generation mix
  times per-source lifecycle factors (``lifecycle``);
- Swedish and Norwegian electricity bidding zones (``SE-SE1`` ... ``SE-SE4``,
  ``NO-NO1`` ... ``NO-NO5``; these are not ISO 3166-2 codes): CodeCarbon's
  per-zone 2025 figures from ENTSO-E generation (``lifecycle``).

``grid/data/SOURCES.md`` says what each figure measures and who published
it. The table is ``grid/data/region_intensity.csv``, built by
``scripts/build_region_intensity.py``, read on first use and cached on the
:class:`RegionTable` instance.

A region is given as its code (``US-CA``), the part after the dash (``CA``)
or its name (``California``), ignoring case, accents, spaces and
punctuation (``québec`` = ``Quebec``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import ConfigError, DataError
from wattprint.grid.basis import checked_basis
from wattprint.provenance import IntensityBasis
from wattprint.tables import read_table, table_label

_TABLE_NAME = "region_intensity.csv"
_COLUMNS = ("country_iso3", "code", "name", "intensity_g_per_kwh", "year", "source", "basis")
_EXAMPLES = {"USA": "US-CA", "CAN": "CA-QC", "IND": "IN-MH", "SWE": "SE-SE3", "NOR": "NO-NO1"}
"""The region each country's error message shows as an example."""
_ALIASES: dict[str, dict[str, str]] = {
    "USA": {"Washington, D.C.": "US-DC", "Washington DC": "US-DC"},
    "IND": {
        # ISO 3166-2:IN codes replaced in November 2023, and older names.
        "IN-CT": "IN-CG",
        "IN-OR": "IN-OD",
        "IN-TG": "IN-TS",
        "IN-UT": "IN-UK",
        "Orissa": "IN-OD",
        "Uttaranchal": "IN-UK",
        "Pondicherry": "IN-PY",
        "Andaman and Nicobar": "IN-AN",
    },
    "CAN": {"Newfoundland": "CA-NL", "Yukon Territory": "CA-YT"},
}
"""Other spellings people use, per country: spelling -> code in the table."""


@dataclass(frozen=True, slots=True)
class RegionIntensity:
    """The annual average grid emissions intensity of one sub-national region.

    Attributes:
        country_iso3: ISO 3166-1 alpha-3 code of the country, e.g. ``USA``.
        code: the region's code: ISO 3166-2 for states and provinces
            (``US-CA``, ``CA-QC``, ``IN-MH``), ``SE-SE3``-style for bidding zones.
        name: the region's name, e.g. ``California``.
        intensity_g_per_kwh: emissions per unit of electricity generated in
            the region, annual average, on the row's ``basis``. Units:
            gCO2e/kWh (gCO2/kWh for a ``direct`` figure).
        year: the calendar year the figure describes.
        source: who published the figure and what it measures.
        basis: ``lifecycle`` (every shipped row) or ``direct`` (CO2 burnt
            at the plants only).
    """

    country_iso3: str
    code: str
    name: str
    intensity_g_per_kwh: float
    year: int
    source: str
    basis: IntensityBasis = "lifecycle"


@dataclass(frozen=True, slots=True)
class _Loaded:
    rows: tuple[RegionIntensity, ...]
    by_country: dict[str, dict[str, RegionIntensity]]
    """country alpha-3 -> normalised spelling (code, suffix, name, alias) -> row."""
    alpha2: dict[str, str]
    """The country part of the codes (``US``) -> alpha-3 (``USA``)."""


class RegionTable:
    """Look up sub-national grid intensity in the shipped (or a given) table.

    The file is read on first use and kept on the instance.
    """

    __slots__ = ("_path", "_loaded")

    def __init__(self, path: Path | None = None) -> None:
        """Create a table reading ``path``, or the shipped table when ``None``."""
        self._path = path
        self._loaded: _Loaded | None = None

    def lookup(self, country_iso3: str, region: str) -> RegionIntensity:
        """Return the row of a region of a country.

        Args:
            country_iso3: the country's ISO 3166-1 alpha-3 code (``USA``); the
                alpha-2 code used in its region codes (``US``) works too.
            region: the region's code (``US-CA``), the part after the dash
                (``CA``) or its name (``California``); case, accents, spaces
                and punctuation are ignored.

        Returns:
            The region's row.

        Raises:
            ConfigError: the country has no regional data, or the region is
                not one of its regions; the message lists what exists or
                suggests close matches.
        """
        loaded = self._load()
        country = self._country(country_iso3)
        regions = loaded.by_country.get(country)
        if regions is None:
            known = ", ".join(sorted(loaded.by_country))
            raise ConfigError(
                "region",
                region,
                f"a region of a country with regional data (no regional data for "
                f"{country_iso3!r}; regions exist for: {known})",
            )
        found = regions.get(_normalise(region)) if isinstance(region, str) else None
        if found is None:
            raise ConfigError("region", region, _accepted(country, regions, region))
        return found

    def regions(self, country_iso3: str | None = None) -> list[RegionIntensity]:
        """Return the regions of one country, or of all countries, sorted by code.

        Args:
            country_iso3: an ISO 3166-1 alpha-3 code (``USA``), or ``None`` for
                every country.

        Returns:
            The rows sorted by country and code; empty for a country without
            regional data.
        """
        rows = self._load().rows
        if country_iso3 is None:
            return list(rows)
        country = self._country(country_iso3)
        return [row for row in rows if row.country_iso3 == country]

    def countries(self) -> tuple[str, ...]:
        """Return the alpha-3 codes of the countries with regional data, sorted."""
        return tuple(sorted(self._load().by_country))

    def _country(self, code: object) -> str:
        key = code.strip().upper() if isinstance(code, str) else ""
        return self._load().alpha2.get(key, key)

    def _load(self) -> _Loaded:
        if self._loaded is None:
            self._loaded = _parse(self._read_text(), self._label())
        return self._loaded

    def _label(self) -> str:
        return table_label("wattprint.grid", _TABLE_NAME, self._path)

    def _read_text(self) -> str:
        return read_table("wattprint.grid", _TABLE_NAME, self._path, "region table")


def _normalise(text: str) -> str:
    """Return ``text`` without accents, case, spaces or punctuation: ``Québec`` -> ``quebec``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if char.isalnum() and char.isascii())


def _parse(text: str, label: str) -> _Loaded:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != _COLUMNS:
        raise DataError(f"{label}: expected columns {_COLUMNS}, found {reader.fieldnames}")
    rows: list[RegionIntensity] = []
    by_country: dict[str, dict[str, RegionIntensity]] = {}
    alpha2: dict[str, str] = {}
    for row in reader:
        try:
            entry = RegionIntensity(
                country_iso3=row["country_iso3"].strip().upper(),
                code=row["code"].strip().upper(),
                name=row["name"].strip(),
                intensity_g_per_kwh=float(row["intensity_g_per_kwh"]),
                year=int(row["year"]),
                source=row["source"].strip(),
                basis=checked_basis(row["basis"]),
            )
        except (AttributeError, TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}") from err
        prefix, dash, suffix = entry.code.partition("-")
        if len(entry.country_iso3) != 3 or len(prefix) != 2 or not dash or not suffix:
            raise DataError(f"{label}, line {reader.line_num}: bad codes {row!r}")
        if alpha2.setdefault(prefix, entry.country_iso3) != entry.country_iso3:
            raise DataError(f"{label}: {prefix!r} codes belong to two countries")
        spellings = by_country.setdefault(entry.country_iso3, {})
        for spelling in (entry.code, suffix, entry.name):
            if spellings.setdefault(_normalise(spelling), entry) is not entry:
                raise DataError(f"{label}: {spelling!r} names two regions")
        rows.append(entry)
    if not rows:
        raise DataError(f"{label}: the table has no rows")
    for country, aliases in _ALIASES.items():
        spellings = by_country.get(country, {})
        codes = {row.code: row for row in spellings.values()}
        for alias, code in aliases.items():
            if code in codes:
                spellings.setdefault(_normalise(alias), codes[code])
                if "-" in alias:  # a former code: its suffix is accepted too
                    spellings.setdefault(_normalise(alias.partition("-")[2]), codes[code])
    rows.sort(key=lambda r: (r.country_iso3, r.code))
    return _Loaded(rows=tuple(rows), by_country=by_country, alpha2=alpha2)


def _accepted(country: str, regions: dict[str, RegionIntensity], given: object) -> str:
    """Return the ``accepted`` text of the error for an unknown region of ``country``."""
    rows = sorted({row.code: row for row in regions.values()}.values(), key=lambda r: r.code)
    example = next((r for r in rows if r.code == _EXAMPLES.get(country)), rows[0])
    text = (
        f"a region of {country}: e.g. {example.code!r}, {example.code.partition('-')[2]!r}"
        f" or {example.name!r}"
    )
    if not isinstance(given, str) or not _normalise(given):
        return text
    import difflib  # only on this error path, to keep the import cheap

    close = difflib.get_close_matches(_normalise(given), list(regions), n=6, cutoff=0.6)
    matches: list[RegionIntensity] = []
    for key in close:
        if regions[key] not in matches:
            matches.append(regions[key])
    if not matches:
        return text
    named = [f"{row.code!r} ({row.name})" for row in matches[:3]]
    return text + " (did you mean " + " or ".join(named) + "?)"

"""Where cloud regions are, and how efficient their providers' data centres are.

A cloud region runs on the grid of the place it sits in. The shipped table
maps every known GCP, AWS and Azure region to its country (ISO 3166 alpha-3)
and, where the location is known and wattprint has regional figures, to a
state, province or bidding zone of :mod:`wattprint.grid.regions`
(``us-east-1`` -> ``US-VA``). For GCP it also carries Google's own
location-based grid intensity for the region (gCO2e/kWh) and Google's
carbon-free-energy (CFE) share, a market-based figure that must not lower a
location-based footprint. AWS and Azure publish no region intensity:
wattprint uses its country and state tables for them.

A second table holds each provider's published fleet-wide power usage
effectiveness (PUE: facility energy / IT energy) and water usage
effectiveness (WUE: litres of water consumed on site per kWh of IT energy).

The tables are ``grid/data/cloud_regions.csv`` and
``grid/data/cloud_providers.csv``, built by ``scripts/build_cloud_regions.py``
and credited in ``grid/data/SOURCES.md``. Each is read on first use and
cached on the :class:`CloudTable` instance.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import ConfigError, DataError
from wattprint.grid.basis import checked_basis
from wattprint.provenance import IntensityBasis
from wattprint.tables import read_table

_REGIONS_NAME = "cloud_regions.csv"
_PROVIDERS_NAME = "cloud_providers.csv"
_REGION_COLUMNS = (
    "provider",
    "region",
    "name",
    "country_iso3",
    "subdivision",
    "provider_intensity_g_per_kwh",
    "cfe_share",
    "year",
    "source",
    "basis",
)
_PROVIDER_COLUMNS = ("provider", "pue", "wue_l_per_kwh", "year", "source")
_PROVIDERS = {
    "gcp": "gcp",
    "google": "gcp",
    "googlecloud": "gcp",
    "googlecloudplatform": "gcp",
    "aws": "aws",
    "amazon": "aws",
    "amazonwebservices": "aws",
    "azure": "azure",
    "microsoft": "azure",
    "microsoftazure": "azure",
}
"""Normalised provider spellings -> the provider's key in the tables."""
_ACCEPTED_PROVIDER = "one of 'gcp', 'aws', 'azure' (or 'google', 'amazon', 'microsoft')"
_ACCEPTED_REGION = {
    "gcp": "a GCP region such as 'europe-west1' or a zone such as 'europe-west1-b'",
    "aws": "an AWS region such as 'us-east-1' or an availability zone such as 'us-east-1a'",
    "azure": "an Azure region such as 'westeurope' or its display name 'West Europe'",
}
_GCP_ZONE = re.compile(r"([a-z]+-[a-z]+\d+)-[a-z]")
_AWS_ZONE = re.compile(r"([a-z]{2}(?:-gov)?-[a-z]+-\d+)[a-z]")


@dataclass(frozen=True, slots=True)
class CloudRegion:
    """One cloud region and the grid it runs on.

    Attributes:
        provider: ``gcp``, ``aws`` or ``azure``.
        region: the provider's region name, e.g. ``europe-west1``, ``us-east-1``,
            ``westeurope``.
        name: where the region is, e.g. ``St. Ghislain, Belgium``.
        country_iso3: ISO 3166-1 alpha-3 code of its country, e.g. ``BEL``.
        subdivision: the code of its state, province or bidding zone in the
            region table (``US-VA``), or ``""`` when unknown or not covered.
        provider_intensity_g_per_kwh: the provider's own location-based grid
            intensity for the region, annual average, gCO2e/kWh; ``None``
            when the provider publishes none (AWS, Azure).
        cfe_share: the provider's carbon-free-energy share for the region,
            0 to 1 (market-based, hourly matched); ``None`` when unpublished.
        year: the year of the provider's figures; ``None`` without figures.
        source: who published the figures or the location.
        provider_basis: the basis of the provider's intensity (``lifecycle``
            for Google's, which come from Electricity Maps); ``None``
            without a figure.
    """

    provider: str
    region: str
    name: str
    country_iso3: str
    subdivision: str
    provider_intensity_g_per_kwh: float | None
    cfe_share: float | None
    year: int | None
    source: str
    provider_basis: IntensityBasis | None = None


@dataclass(frozen=True, slots=True)
class ProviderEfficiency:
    """A cloud provider's published fleet-wide data-centre efficiency.

    Attributes:
        provider: ``gcp``, ``aws`` or ``azure``.
        pue: power usage effectiveness, facility energy / IT energy
            (dimensionless, >= 1), fleet-wide annual average.
        wue_l_per_kwh: water usage effectiveness, litres of water consumed
            on site per kWh of IT energy, fleet-wide annual average.
        year: the year the figures describe.
        source: the provider's report the figures come from.
    """

    provider: str
    pue: float
    wue_l_per_kwh: float
    year: int
    source: str


class CloudTable:
    """Look up cloud regions and providers in the shipped (or given) tables.

    Each file is read on first use and kept on the instance.
    """

    __slots__ = ("_regions_path", "_providers_path", "_regions", "_providers")

    def __init__(self, path: Path | None = None, providers_path: Path | None = None) -> None:
        """Create a table reading the given files, or the shipped ones when ``None``."""
        self._regions_path = path
        self._providers_path = providers_path
        self._regions: dict[str, dict[str, CloudRegion]] | None = None
        self._providers: dict[str, ProviderEfficiency] | None = None

    def lookup(self, provider: str, region: str) -> CloudRegion:
        """Return a cloud region's row.

        Args:
            provider: ``gcp``, ``aws`` or ``azure`` in any case; ``google``,
                ``amazon`` and ``microsoft`` work too.
            region: the region name (``europe-west1``, ``us-east-1``,
                ``westeurope``); a GCP zone (``europe-west1-b``), an AWS
                availability zone (``us-east-1a``) or an Azure display name
                (``West Europe``) gives its region.

        Returns:
            The region's row.

        Raises:
            ConfigError: the provider or the region is unknown; the message
                names it and suggests close matches.
        """
        key = self._provider(provider)
        regions = self._load_regions()[key]
        found = None
        if isinstance(region, str):
            for candidate in _region_keys(key, region):
                found = regions.get(candidate)
                if found is not None:
                    break
        if found is None:
            accepted = _ACCEPTED_REGION[key] + _suggestion(region, key, list(regions))
            raise ConfigError("region", region, accepted)
        return found

    def regions(self, provider: str | None = None) -> list[CloudRegion]:
        """Return the regions of one provider, or of all, sorted by provider and region.

        Raises:
            ConfigError: the provider is unknown.
        """
        loaded = self._load_regions()
        keys = sorted(loaded) if provider is None else [self._provider(provider)]
        return [row for key in keys for _, row in sorted(loaded[key].items())]

    def efficiency(self, provider: str) -> ProviderEfficiency:
        """Return a provider's published fleet PUE and WUE.

        Raises:
            ConfigError: the provider is unknown.
        """
        key = self._provider(provider)
        found = self._load_providers().get(key)
        if found is None:
            raise DataError(f"{self._label(_PROVIDERS_NAME)}: no row for provider {key!r}")
        return found

    def _provider(self, provider: object) -> str:
        key = _PROVIDERS.get(_squash(provider)) if isinstance(provider, str) else None
        if key is None:
            accepted = _ACCEPTED_PROVIDER + _suggestion(provider, "", list(_PROVIDERS))
            raise ConfigError("provider", provider, accepted)
        return key

    def _load_regions(self) -> dict[str, dict[str, CloudRegion]]:
        if self._regions is None:
            path = self._regions_path
            text = _read(path, _REGIONS_NAME)
            self._regions = _parse_regions(text, self._label(_REGIONS_NAME, path))
        return self._regions

    def _load_providers(self) -> dict[str, ProviderEfficiency]:
        if self._providers is None:
            path = self._providers_path
            text = _read(path, _PROVIDERS_NAME)
            self._providers = _parse_providers(text, self._label(_PROVIDERS_NAME, path))
        return self._providers

    @staticmethod
    def _label(name: str, path: Path | None = None) -> str:
        return str(path) if path is not None else f"wattprint/grid/data/{name}"


def _read(path: Path | None, name: str) -> str:
    return read_table("wattprint.grid", name, path, "cloud table")


def _squash(text: str) -> str:
    """Return ``text`` lower-cased, letters and digits only: ``West Europe`` -> ``westeurope``."""
    return "".join(char for char in text.casefold() if char.isalnum())


def _region_keys(provider: str, region: str) -> list[str]:
    """Return the table keys a user's spelling of a region may stand for, best first."""
    text = region.strip().casefold()
    if provider == "azure":
        return [_squash(text)]
    keys = [text]
    zone = (_GCP_ZONE if provider == "gcp" else _AWS_ZONE).fullmatch(text)
    if zone is not None:
        keys.append(zone.group(1))
    return keys


def _rows(text: str, label: str, columns: tuple[str, ...]) -> csv.DictReader[str]:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or tuple(reader.fieldnames) != columns:
        raise DataError(f"{label}: expected columns {columns}, found {reader.fieldnames}")
    return reader


def _optional(value: str, kind: type[float] | type[int]) -> float | int | None:
    value = value.strip()
    return kind(value) if value else None


def _parse_regions(text: str, label: str) -> dict[str, dict[str, CloudRegion]]:
    reader = _rows(text, label, _REGION_COLUMNS)
    table: dict[str, dict[str, CloudRegion]] = {"gcp": {}, "aws": {}, "azure": {}}
    for row in reader:
        try:
            year = _optional(row["year"], int)
            entry = CloudRegion(
                provider=row["provider"].strip(),
                region=row["region"].strip(),
                name=row["name"].strip(),
                country_iso3=row["country_iso3"].strip().upper(),
                subdivision=row["subdivision"].strip().upper(),
                provider_intensity_g_per_kwh=_optional(row["provider_intensity_g_per_kwh"], float),
                cfe_share=_optional(row["cfe_share"], float),
                year=None if year is None else int(year),
                source=row["source"].strip(),
                provider_basis=checked_basis(row["basis"]) if row["basis"].strip() else None,
            )
        except (AttributeError, TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}") from err
        if (entry.provider_intensity_g_per_kwh is None) != (entry.provider_basis is None):
            raise DataError(f"{label}, line {reader.line_num}: a figure needs a basis {row!r}")
        regions = table.get(entry.provider)
        if regions is None or len(entry.country_iso3) != 3 or not entry.region:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}")
        if regions.setdefault(entry.region, entry) is not entry:
            raise DataError(f"{label}: {entry.provider} {entry.region!r} appears twice")
    if not all(table.values()):
        raise DataError(f"{label}: a provider has no regions")
    return table


def _parse_providers(text: str, label: str) -> dict[str, ProviderEfficiency]:
    reader = _rows(text, label, _PROVIDER_COLUMNS)
    table: dict[str, ProviderEfficiency] = {}
    for row in reader:
        try:
            entry = ProviderEfficiency(
                provider=row["provider"].strip(),
                pue=float(row["pue"]),
                wue_l_per_kwh=float(row["wue_l_per_kwh"]),
                year=int(row["year"]),
                source=row["source"].strip(),
            )
        except (AttributeError, TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}") from err
        if table.setdefault(entry.provider, entry) is not entry:
            raise DataError(f"{label}: provider {entry.provider!r} appears twice")
    return table


def _suggestion(given: object, provider: str, known: list[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest known names, or ``""``."""
    if not isinstance(given, str) or not given.strip():
        return ""
    import difflib  # only on this error path, to keep the import cheap

    wanted = _squash(given) if provider in ("", "azure") else given.strip().casefold()
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(repr(name) for name in close) + "?)"

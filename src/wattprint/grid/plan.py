"""Decide where a run's electricity comes from, and what is known about it.

The place is found in this order, and the result says which step found it:

1. the request: ``cloud`` (or ``cloud_provider`` + ``cloud_region``), then
   ``country`` (+ ``region``), each with where it was set (an argument,
   ``WATTPRINT_*``, a config file: the caller fills the request from its
   settings);
2. cloud detection, only on a machine whose DMI strings name AWS, GCP or
   Azure (its metadata service is asked, within 1 s, and cached);
3. the time zone, mapped to a country (and a state where the zone says);
4. geo-IP, only when the user opted in (``geoip=True``);
5. the world average, with a warning that says how to set the place.

Then the intensity: a user-set figure; else the cloud provider's own figure
for its region where published; else the region's (state, province) annual
figure; else the country's (its monthly figure replaces it hour by hour
where the table covers the month); else the world's. PUE and WUE: the
user's, else the cloud provider's published figures, else 1.0 and no
on-site water for a private machine.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.choice import choose_efficiency, choose_intensity
from wattprint.grid.request import GridRequest
from wattprint.grid.tables import GridTables, default_tables
from wattprint.provenance import Intensity, Location

if TYPE_CHECKING:  # the tables' modules load with the tables, on first use
    from wattprint.grid.cloud_regions import CloudRegion
    from wattprint.grid.countries import CountryIntensity
    from wattprint.grid.water import WaterIntensity


class GridPlan(NamedTuple):
    """The place and what is known of its electricity, chosen for a run.

    Attributes:
        location: where, and how it was found.
        intensity: the annual (or user-set, or provider) figure.
        monthly_country: ISO alpha-3 code whose monthly figures may replace
            ``intensity`` hour by hour; None when they must not.
        grid_water: the grid's water intensity, if known.
        pue: power usage effectiveness applied (>= 1).
        pue_source: where the PUE comes from.
        wue_l_per_kwh: on-site water per kWh of IT energy. Units: L/kWh.
        wue_source: where the WUE comes from.
        warnings: things to tell the user once.
        intensity_is_set: True when the user set the intensity: it then
            applies to every hour, and no table or live figure replaces it.
    """

    location: Location
    intensity: Intensity
    monthly_country: str | None
    grid_water: WaterIntensity | None
    pue: float
    pue_source: str
    wue_l_per_kwh: float
    wue_source: str
    warnings: tuple[str, ...]
    intensity_is_set: bool = False


def _from_country(row: CountryIntensity, how: str, region: str | None = None) -> Location:
    return Location(row.iso3, row.iso2, row.name, region=region, how=how)


def _cloud_location(region: CloudRegion, tables: GridTables, how: str) -> Location:
    row = tables.countries.lookup(region.country_iso3)
    return Location(
        row.iso3,
        row.iso2,
        row.name,
        region=region.subdivision or None,
        cloud_provider=region.provider,
        cloud_region=region.region,
        how=how,
    )


class _Finder:
    """The steps that find the place, in order; ``provider`` is the cloud found on the way."""

    __slots__ = ("request", "tables", "env", "detect_cloud", "guess_timezone", "lookup_geoip",
                 "notes", "provider")  # fmt: skip

    def __init__(
        self,
        request: GridRequest,
        tables: GridTables,
        env: Mapping[str, str],
        detect_cloud: Callable[[], object | None],
        guess_timezone: Callable[[], object | None],
        lookup_geoip: Callable[[], object],
        notes: list[str],
    ) -> None:
        self.request = request
        self.tables = tables
        self.env = env
        self.detect_cloud = detect_cloud
        self.guess_timezone = guess_timezone
        self.lookup_geoip = lookup_geoip
        self.notes = notes
        self.provider: str | None = None

    def by_request(self) -> Location | None:
        s = self.request
        provider, region = s.cloud_provider, s.cloud_region
        key = "cloud_provider"
        if s.cloud:
            provider, _, region = s.cloud.partition(":")
            key = "cloud"
        if provider and region:
            found = self.tables.clouds.lookup(provider, region)
            self.provider = found.provider
            how = f"cloud region {found.provider}:{found.region} ({s.source_of(key)})"
            return _cloud_location(found, self.tables, how)
        if provider:
            self.provider = self.tables.clouds.efficiency(provider).provider
        country = s.country
        if not country and s.region and "-" in s.region:
            country = s.region.split("-", 1)[0]  # 'US-CA' names its country
        if country:
            row = self.tables.countries.lookup(country)
            how = f"country={country!r} ({s.source_of('country')})"
            if not s.region:
                return _from_country(row, how)
            regional = self.tables.regions.lookup(row.iso3, s.region)
            how += f", region={s.region!r} ({s.source_of('region')})"
            return _from_country(row, how, region=regional.code)
        if s.region:
            raise ConfigError(
                "region",
                s.region,
                "a region with its country, e.g. 'US-CA' or country='US'",
                s.source_of("region"),
            )
        return None

    def by_cloud_detection(self) -> Location | None:
        guess = self.detect_cloud()
        provider = getattr(guess, "provider", None)
        if guess is None or provider is None:
            return None
        self.provider = self.provider or str(provider)
        region = getattr(guess, "region", None)
        how = str(getattr(guess, "how", ""))
        if not region:
            self.notes.append(f"running on {provider}, region unknown: {how}")
            return None
        try:
            found = self.tables.clouds.lookup(str(provider), str(region))
        except ConfigError:
            self.notes.append(f"{provider} region {region!r} is not in wattprint's cloud table")
            return None
        return _cloud_location(found, self.tables, f"cloud metadata: {how}")

    def by_timezone(self) -> Location | None:
        guess = self.guess_timezone()
        if guess is None:
            return None
        iso2 = str(getattr(guess, "country_iso2", ""))
        try:
            row = self.tables.countries.lookup(iso2)
        except ConfigError:
            return None
        subdivision = getattr(guess, "subdivision", None)
        how = f"guessed from the time zone: {getattr(guess, 'how', '')}"
        if subdivision and getattr(guess, "subdivision_is_guess", False):
            how += f" (state {subdivision} is a guess)"
        return _from_country(row, how, region=str(subdivision) if subdivision else None)

    def by_geoip(self) -> Location | None:
        if not self.request.geoip:
            return None
        try:
            guess = self.lookup_geoip()
        except ProviderError as err:
            self.notes.append(f"geo-IP lookup failed ({err}); the place is not known")
            return None
        row = self.tables.countries.lookup(str(getattr(guess, "country_iso2", "")))
        return _from_country(row, f"geo-IP (opted in): {getattr(guess, 'how', '')}")


def _default_cloud_detector(env: Mapping[str, str]) -> Callable[[], object | None]:
    def detect() -> object | None:
        from wattprint.grid.cloud_detect import DEFAULT_DMI_DIR, CloudDetector

        dmi = Path(env.get("WATTPRINT_DMI_DIR") or DEFAULT_DMI_DIR)
        return CloudDetector(dmi_dir=dmi, env=env).detect()

    return detect


def _default_timezone(env: Mapping[str, str]) -> Callable[[], object | None]:
    def guess() -> object | None:
        from wattprint.grid.timezone import guess_from_timezone

        return guess_from_timezone(env=env)

    return guess


def _default_geoip() -> object:
    from wattprint.grid.geoip import lookup_geoip

    return lookup_geoip()


def plan_grid(
    request: GridRequest,
    *,
    env: Mapping[str, str] | None = None,
    tables: GridTables | None = None,
    detect_cloud: Callable[[], object | None] | None = None,
    guess_timezone: Callable[[], object | None] | None = None,
    lookup_geoip: Callable[[], object] | None = None,
) -> GridPlan:
    """Find the place and choose the intensity, PUE and water for ``request``.

    Args:
        request: the place and options asked for (all unset: detect the place).
        env: the environment the detectors read (time zone, DMI directory,
            metadata overrides); default ``os.environ``. Read, never written.
        tables: the shipped tables (default: :func:`default_tables`).
        detect_cloud: stands in for the cloud metadata detection.
        guess_timezone: stands in for the time-zone guess.
        lookup_geoip: stands in for the geo-IP lookup.

    Raises:
        ConfigError: an unknown country, region or cloud region is set.
    """
    env = os.environ if env is None else env
    tables = tables or default_tables()
    notes: list[str] = []
    finder = _Finder(
        request,
        tables,
        env,
        detect_cloud or _default_cloud_detector(env),
        guess_timezone or _default_timezone(env),
        lookup_geoip or _default_geoip,
        notes,
    )
    location = finder.by_request()
    forced = request.force_intensity_g_per_kwh is not None
    if location is None and not forced:
        for step in (finder.by_cloud_detection, finder.by_timezone, finder.by_geoip):
            location = step()
            if location is not None:
                break
    if location is None:
        world = tables.countries.world()
        location = _from_country(world, "not known: the world average is used")
        if not forced:
            notes.append(
                f"the place is not known, so the world-average grid intensity "
                f"({world.intensity_g_per_kwh:g} gCO2e/kWh) is used; emissions may be off "
                "by a factor of 10 or more. Set country= (e.g. 'FR'), --country, "
                "WATTPRINT_COUNTRY, or cloud='gcp:europe-west1'."
            )
    intensity, monthly, region_note = choose_intensity(request, location, tables)
    if region_note:
        notes.append(region_note)
    eff = choose_efficiency(request, finder.provider or location.cloud_provider, tables)
    try:
        water = tables.water.lookup(location.country_iso3, location.region)
    except ConfigError:  # a guessed region the water table does not know
        water = tables.water.lookup(location.country_iso3)
    if water is None:
        water = tables.water.world()
    return GridPlan(
        location=location,
        intensity=intensity,
        monthly_country=monthly,
        grid_water=water,
        pue=eff[0],
        pue_source=eff[1],
        wue_l_per_kwh=eff[2],
        wue_source=eff[3],
        warnings=tuple(notes),
        intensity_is_set=forced,
    )


__all__ = ["GridPlan", "GridRequest", "GridTables", "default_tables", "plan_grid"]

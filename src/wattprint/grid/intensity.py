"""The carbon intensity of the electricity used, with its provenance.

For now the intensity is a country's annual average from the shipped table
(Ember), a value the user forces, or the world average when no place is
given. Regions, clouds and live data extend this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .countries import CountryIntensity, CountryTable
from .location import Location

IntensityKind = Literal["average", "marginal"]


@dataclass(frozen=True, slots=True)
class Intensity:
    """A grid carbon intensity and where it came from.

    Attributes:
        intensity_g_per_kwh: lifecycle emissions per kWh consumed. Units: gCO2e/kWh.
        source: the data set or party, e.g. ``Ember yearly electricity data``.
        year: the year the figure describes, if known.
        kind: ``average`` (all generation) or ``marginal``.
        detail: one sentence for people.
    """

    intensity_g_per_kwh: float
    source: str
    year: int | None
    kind: IntensityKind
    detail: str


@dataclass(frozen=True, slots=True)
class GridChoice:
    """The place and intensity chosen for a run, and warnings to give once.

    Attributes:
        location: where, and how it was found.
        intensity: the carbon intensity and its provenance.
        warnings: things to tell the user once.
        pue: power usage effectiveness applied (>= 1).
        pue_source: where the PUE comes from.
    """

    location: Location
    intensity: Intensity
    warnings: tuple[str, ...]
    pue: float = 1.0
    pue_source: str = "default for a private machine"


def _location(row: CountryIntensity, how: str, region: str | None) -> Location:
    return Location(
        country_iso3=row.iso3,
        country_iso2=row.iso2,
        country_name=row.name,
        region=region,
        how=how,
    )


def choose_grid(
    *,
    country: str | None,
    region: str | None = None,
    force_intensity_g_per_kwh: float | None = None,
    pue: float | None = None,
    table: CountryTable | None = None,
) -> GridChoice:
    """Resolve the place and the intensity from explicit settings, offline.

    Raises:
        ConfigError: ``country`` is not a known ISO 3166 code.
    """
    table = table or CountryTable()
    warnings: list[str] = []
    if country is not None:
        row = table.lookup(country)
        location = _location(row, f"set by the user: country={country!r}", region)
    else:
        row = table.world()
        location = _location(row, "no place given: world average", region)
        if force_intensity_g_per_kwh is None:
            warnings.append(
                f"no country given, so the world-average grid intensity "
                f"({row.intensity_g_per_kwh:g} gCO2e/kWh) is used; emissions may be off "
                "by a factor of 10 or more. Set country= (e.g. 'FR'), --country, "
                "or WATTPRINT_COUNTRY."
            )
    if region is not None:
        warnings.append(
            f"region {region!r} is recorded, but no sub-national intensity is shipped "
            f"yet: the {row.name} average is used"
        )
    if force_intensity_g_per_kwh is not None:
        intensity = Intensity(
            intensity_g_per_kwh=force_intensity_g_per_kwh,
            source="set by the user",
            year=None,
            kind="average",
            detail=f"user-set intensity of {force_intensity_g_per_kwh:g} gCO2e/kWh",
        )
    else:
        intensity = Intensity(
            intensity_g_per_kwh=row.intensity_g_per_kwh,
            source=row.source,
            year=row.year,
            kind="average",
            detail=(
                f"{row.name} annual average {row.year}, lifecycle, "
                f"{row.intensity_g_per_kwh:g} gCO2e/kWh ({row.source})"
            ),
        )
    return GridChoice(
        location=location,
        intensity=intensity,
        warnings=tuple(warnings),
        pue=pue if pue is not None else 1.0,
        pue_source="set by the user" if pue is not None else "default for a private machine",
    )

"""Places ranked by carbon intensity, with what a given energy would emit there.

Feeds ``wattprint regions`` and the what-if of reports: the same energy, run
in another country or cloud region, at that place's intensity.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.grid.choice import choose_intensity
from wattprint.grid.request import GridRequest
from wattprint.grid.tables import GridTables
from wattprint.impact.carbon import emissions_kg
from wattprint.provenance import Location

PROVIDERS = ("gcp", "aws", "azure")

_TABLES_ONLY = GridRequest()
"""Nothing set by the user: each place gets the intensity its tables give."""


@dataclass(frozen=True, slots=True)
class RankedPlace:
    """One place in a ranking.

    Attributes:
        key: ``FRA``, ``US-CA`` or ``gcp:europe-west1``.
        name: for people.
        intensity_g_per_kwh: the place's intensity. Units: gCO2e/kWh.
        source: where the intensity comes from, and its year.
        emissions_kg: what the energy asked about would emit there. Units: kg.
        saving_kg: emissions at the current place minus here (negative: worse).
        saving_percent: that saving as a share of the current emissions. Units: %.
    """

    key: str
    name: str
    intensity_g_per_kwh: float
    source: str
    emissions_kg: float
    saving_kg: float
    saving_percent: float


def _ranked(
    rows: list[tuple[str, str, float, str]], energy_kwh: float, current_g_per_kwh: float
) -> list[RankedPlace]:
    current_kg = emissions_kg(energy_kwh, current_g_per_kwh)
    out = []
    for key, name, intensity, source in sorted(rows, key=lambda r: (r[2], r[0])):
        kg = emissions_kg(energy_kwh, intensity)
        saving = current_kg - kg
        percent = 100.0 * saving / current_kg if current_kg > 0 else 0.0
        out.append(RankedPlace(key, name, intensity, source, kg, saving, percent))
    return out


def rank_countries(
    tables: GridTables, *, energy_kwh: float, current_g_per_kwh: float, regions: bool = False
) -> list[RankedPlace]:
    """Rank every country (and, if asked, every sub-national region) by intensity."""
    rows = [
        (c.iso3, c.name, c.intensity_g_per_kwh, f"{c.source} {c.year}")
        for c in tables.countries
        if c.iso3 != "WLD"
    ]
    if regions:
        rows += [
            (r.code, r.name, r.intensity_g_per_kwh, f"{r.source} {r.year}")
            for r in tables.regions.regions()
        ]
    return _ranked(rows, energy_kwh, current_g_per_kwh)


def rank_cloud_regions(
    tables: GridTables,
    *,
    provider: str | None,
    energy_kwh: float,
    current_g_per_kwh: float,
) -> list[RankedPlace]:
    """Rank the regions of one cloud provider (or all) by the intensity wattprint would use."""
    rows = []
    for region in tables.clouds.regions(provider):
        country = tables.countries.lookup(region.country_iso3)
        location = Location(
            country.iso3,
            country.iso2,
            country.name,
            region=region.subdivision or None,
            cloud_provider=region.provider,
            cloud_region=region.region,
        )
        intensity, _, _ = choose_intensity(_TABLES_ONLY, location, tables)
        year = f" {intensity.year}" if intensity.year else ""
        rows.append(
            (
                f"{region.provider}:{region.region}",
                region.name,
                intensity.intensity_g_per_kwh,
                f"{intensity.source}{year}",
            )
        )
    return _ranked(rows, energy_kwh, current_g_per_kwh)

"""Which intensity, PUE and WUE apply at a place, and from which data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wattprint.errors import ConfigError
from wattprint.grid.basis import basis_label
from wattprint.grid.request import GridRequest
from wattprint.provenance import Intensity, Location

if TYPE_CHECKING:
    from wattprint.grid.tables import GridTables

USER_SET_SOURCE = "set by the user"
"""The ``source`` of an intensity the user set (``force_intensity_g_per_kwh``)."""

PRIVATE_PUE = 1.0
"""PUE assumed for a private machine: its overhead is not known, so none is added."""


def choose_intensity(
    request: GridRequest, location: Location, tables: GridTables
) -> tuple[Intensity, str | None, str | None]:
    """Return the base intensity, the country whose monthly figures apply, and a note.

    The monthly figures apply only to a country-level, table-based intensity.
    """
    if request.force_intensity_g_per_kwh is not None:
        value = request.force_intensity_g_per_kwh
        return (
            Intensity(
                value,
                USER_SET_SOURCE,
                None,
                "average",
                f"{value:g} gCO2e/kWh ({request.source_of('force_intensity_g_per_kwh')}; "
                "basis not stated, taken as lifecycle)",
                "lifecycle",
            ),
            None,
            None,
        )
    if location.cloud_provider and location.cloud_region:
        region = tables.clouds.lookup(location.cloud_provider, location.cloud_region)
        if region.provider_intensity_g_per_kwh is not None and region.provider_basis:
            value = region.provider_intensity_g_per_kwh
            cfe = f", {region.cfe_share:.0%} carbon-free" if region.cfe_share is not None else ""
            return (
                Intensity(
                    value,
                    region.source,
                    region.year,
                    "average",
                    f"{region.provider} {region.region} grid intensity {value:g} "
                    f"{basis_label(region.provider_basis)}{cfe} ({region.source}, {region.year})",
                    region.provider_basis,
                ),
                None,
                None,
            )
    note = None
    if location.region:
        try:
            row = tables.regions.lookup(location.country_iso3, location.region)
        except ConfigError:
            note = (
                f"no regional intensity for {location.region!r}: the "
                f"{location.country_name} average is used"
            )
        else:
            return (
                Intensity(
                    row.intensity_g_per_kwh,
                    row.source,
                    row.year,
                    "average",
                    f"{row.name} ({row.code}) annual average {row.year}, "
                    f"{row.intensity_g_per_kwh:g} {basis_label(row.basis)} ({row.source})",
                    row.basis,
                ),
                None,
                None,
            )
    country = tables.countries.lookup(location.country_iso3)
    monthly: str | None = None if location.is_world else country.iso3
    if country.intensity_g_per_kwh <= 0:  # a gap in the source (Central African Republic)
        gap = (
            f"{country.name}'s table intensity is 0 g/kWh, a gap in {country.source}'s "
            "data: the World average is used"
        )
        note = f"{note}; {gap}" if note else gap
        country, monthly = tables.countries.world(), None
    detail = (
        f"{country.name} annual average {country.year}, "
        f"{country.intensity_g_per_kwh:g} {basis_label(country.basis)} ({country.source})"
    )
    intensity = Intensity(
        country.intensity_g_per_kwh, country.source, country.year, "average", detail, country.basis
    )
    return intensity, monthly, note


def choose_efficiency(
    request: GridRequest, provider: str | None, tables: GridTables
) -> tuple[float, str, float, str]:
    """Return ``(pue, pue_source, wue_l_per_kwh, wue_source)`` for the run."""
    eff = tables.clouds.efficiency(provider) if provider else None
    if request.pue is not None:
        pue, pue_source = request.pue, f"set by the user ({request.source_of('pue')})"
    elif eff is not None:
        pue, pue_source = eff.pue, f"{eff.provider} fleet average {eff.year} ({eff.source})"
    else:
        pue, pue_source = PRIVATE_PUE, "1.0 for a private machine (set pue= if known)"
    if request.wue is not None:
        wue, wue_source = request.wue, f"set by the user ({request.source_of('wue')})"
    elif eff is not None:
        wue, wue_source = (
            eff.wue_l_per_kwh,
            f"{eff.provider} fleet average {eff.year} ({eff.source})",
        )
    else:
        wue, wue_source = 0.0, "no on-site cooling water assumed for a private machine"
    return pue, pue_source, wue, wue_source

"""Places ranked by carbon intensity, like with like, with what a given energy would emit there.

Feeds ``wattprint regions`` and the what-if of reports: the same energy, run
in another country or cloud region, at that place's intensity. Three rules
keep a ranking honest:

- **One basis.** Every figure ranked is on the requested basis
  (``lifecycle`` by default; see :data:`wattprint.provenance.IntensityBasis`).
  Figures on another basis are left out and counted in the notes: part of a
  difference between bases is what is counted, not where.
- **One kind of figure for cloud regions.** A cloud region is ranked at the
  figure of the grid it sits on, from wattprint's tables (its state, province
  or bidding zone where the table has one on the basis, else its country), so
  two providers' regions in one state rank equal. A provider's own figure
  (Google's, from another data set) is shown beside it, never ranked.
- **No gaps, and doubts said.** A place whose table figure is 0 g/kWh is a
  gap in the data, not a clean grid: it is left out and named in the notes.
  A provider's figure more than :data:`OUTLIER_FACTOR` times outside the
  range of the tables' figures for the same place is flagged, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from wattprint.errors import ConfigError
from wattprint.grid.tables import GridTables
from wattprint.impact.carbon import emissions_kg
from wattprint.provenance import IntensityBasis

PROVIDERS = ("gcp", "aws", "azure")

OUTLIER_FACTOR = 3.0
"""A provider's figure below 1/3 or above 3x its place's table figures is flagged.

The tables' figures for one place (state or zone, and country) differ by
method and year, rarely by 3x; Google's 2.73 g/kWh for Stockholm against
27.0 for bidding zone SE3 differs by 10x, below the lifecycle factor of hydro
power itself (24 g/kWh)."""


@dataclass(frozen=True, slots=True)
class RankedPlace:
    """One place in a ranking.

    Attributes:
        key: ``FRA``, ``US-CA`` or ``gcp:europe-west1``.
        name: for people.
        intensity_g_per_kwh: the place's intensity on ``basis``. Units: gCO2e/kWh.
        source: where the intensity comes from, and its year.
        emissions_kg: what the energy asked about would emit there. Units: kg.
        saving_kg: emissions at the current place minus here (negative: worse).
        saving_percent: that saving as a share of the current emissions. Units: %.
        basis: what the intensity counts: ``lifecycle`` or ``direct``.
        provider_g_per_kwh: a cloud provider's own figure for the region,
            shown beside the ranked one and not used to rank; None when the
            provider publishes none. Units: gCO2e/kWh.
        flag: why the figures of this place deserve doubt; ``""`` when none.
    """

    key: str
    name: str
    intensity_g_per_kwh: float
    source: str
    emissions_kg: float
    saving_kg: float
    saving_percent: float
    basis: IntensityBasis = "lifecycle"
    provider_g_per_kwh: float | None = None
    flag: str = ""


@dataclass(frozen=True, slots=True)
class Ranking:
    """Places on one basis, cleanest first, and what was left out.

    Attributes:
        places: the places ranked, by intensity then key.
        basis: the one basis of every figure ranked.
        notes: how the places were priced, and what was left out and why.
    """

    places: tuple[RankedPlace, ...]
    basis: IntensityBasis
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Row:
    key: str
    name: str
    intensity_g_per_kwh: float
    source: str
    basis: IntensityBasis
    provider_g_per_kwh: float | None = None
    flag: str = ""


def saving_at(row: _Row | RankedPlace, energy_kwh: float, current_g_per_kwh: float) -> RankedPlace:
    """Return ``row`` priced: ``energy_kwh`` at its intensity, saving against ``current``."""
    current_kg = emissions_kg(energy_kwh, current_g_per_kwh)
    kg = emissions_kg(energy_kwh, row.intensity_g_per_kwh)
    saving = current_kg - kg
    percent = 100.0 * saving / current_kg if current_kg > 0 else 0.0
    return RankedPlace(
        row.key,
        row.name,
        row.intensity_g_per_kwh,
        row.source,
        kg,
        saving,
        percent,
        row.basis,
        row.provider_g_per_kwh,
        row.flag,
    )


def _ranking(
    rows: list[_Row],
    basis: IntensityBasis,
    energy_kwh: float,
    current_g_per_kwh: float,
    notes: list[str],
) -> Ranking:
    other = [r.key for r in rows if r.basis != basis]
    gaps = [r.key for r in rows if r.basis == basis and r.intensity_g_per_kwh <= 0]
    kept = [r for r in rows if r.basis == basis and r.intensity_g_per_kwh > 0]
    if other:
        notes.append(
            f"{len(other)} place(s) with figures on another basis than {basis} left out "
            f"(not comparable): {', '.join(sorted(other)[:8])}{' ...' if len(other) > 8 else ''}"
        )
    if gaps:
        notes.append(f"left out, their table intensity being 0 g/kWh (a gap): {', '.join(gaps)}")
    kept.sort(key=lambda r: (r.intensity_g_per_kwh, r.key))
    places = tuple(saving_at(r, energy_kwh, current_g_per_kwh) for r in kept)
    return Ranking(places, basis, tuple(notes))


def rank_countries(
    tables: GridTables,
    *,
    energy_kwh: float,
    current_g_per_kwh: float,
    regions: bool = False,
    basis: IntensityBasis = "lifecycle",
) -> Ranking:
    """Rank every country (and, if asked, every sub-national region) on one basis.

    Args:
        tables: the grid tables.
        energy_kwh: the energy to price at each place. Units: kWh.
        current_g_per_kwh: the intensity savings are computed against. Units: gCO2e/kWh.
        regions: include states, provinces and bidding zones.
        basis: the basis to rank on; figures on the other are left out.
    """
    rows = [
        _Row(c.iso3, c.name, c.intensity_g_per_kwh, f"{c.source} {c.year}", c.basis)
        for c in tables.countries
        if c.iso3 != "WLD"
    ]
    notes = [f"every figure is an annual average on the {basis} basis"]
    if regions:
        rows += [
            _Row(r.code, r.name, r.intensity_g_per_kwh, f"{r.source} {r.year}", r.basis)
            for r in tables.regions.regions()
        ]
        notes.append(
            "US and Indian states are production-based (IPCC's lifecycle factor per fuel, "
            "in-state plants only) and run about 10 % below Ember's figure for the whole country"
        )
    return _ranking(rows, basis, energy_kwh, current_g_per_kwh, notes)


def _grid_row(tables: GridTables, provider: str, region_name: str, basis: IntensityBasis) -> _Row:
    """Return a cloud region priced at its grid's table figure on ``basis`` where it has one."""
    region = tables.clouds.lookup(provider, region_name)
    country = tables.countries.lookup(region.country_iso3)
    figures = [
        (country.iso3, country.intensity_g_per_kwh, country.source, country.year, country.basis)
    ]
    if region.subdivision:
        try:
            sub = tables.regions.lookup(region.country_iso3, region.subdivision)
        except ConfigError:
            pass
        else:
            figures.insert(0, (sub.code, sub.intensity_g_per_kwh, sub.source, sub.year, sub.basis))
    chosen = next((f for f in figures if f[4] == basis and f[1] > 0), None)
    if chosen is None:
        chosen = next((f for f in figures if f[4] == basis), figures[0])  # a gap or another basis
    place, value, source, year, its_basis = chosen
    provider_value = region.provider_intensity_g_per_kwh
    flag = ""
    known = [f[1] for f in figures if f[1] > 0]
    if provider_value is not None and known:
        low, high = min(known), max(known)
        if provider_value < low / OUTLIER_FACTOR or provider_value > high * OUTLIER_FACTOR:
            flag = (
                f"{region.provider}'s own figure {provider_value:g} g/kWh is far outside "
                f"the tables' {low:g}-{high:g} for {' and '.join(f[0] for f in figures)}: "
                "implausible, check before relying on it"
            )
    return _Row(
        f"{region.provider}:{region.region}",
        region.name,
        value,
        f"{place}: {source} {year}",
        its_basis,
        provider_value,
        flag,
    )


def rank_cloud_regions(
    tables: GridTables,
    *,
    provider: str | None,
    energy_kwh: float,
    current_g_per_kwh: float,
    basis: IntensityBasis = "lifecycle",
) -> Ranking:
    """Rank the regions of one cloud provider (or all) at their grids' figures on one basis.

    Each region is priced at its state's, province's or bidding zone's table
    figure on ``basis`` where the table has one, else its country's; the
    provider's own figure is carried beside it (``provider_g_per_kwh``) and
    flagged when implausible, never ranked.

    Raises:
        ConfigError: the provider is unknown.
    """
    rows = [_grid_row(tables, r.provider, r.region, basis) for r in tables.clouds.regions(provider)]
    notes = [
        f"cloud regions are ranked at the {basis} figure of the grid they sit on (their "
        "state, province or bidding zone where wattprint has one, else their country), so "
        "regions of two providers in one place rank equal; a provider's own figure is shown "
        "beside it, not ranked: it comes from another data set, and part of its difference "
        "would be one of source, not of place"
    ]
    flagged = [r.key for r in rows if r.flag]
    if flagged:
        notes.append(f"figures flagged as implausible: {', '.join(flagged)}")
    return _ranking(rows, basis, energy_kwh, current_g_per_kwh, notes)


def grid_figure(
    tables: GridTables,
    *,
    country_iso3: str,
    region: str | None,
    cloud_provider: str | None,
    cloud_region: str | None,
    basis: IntensityBasis = "lifecycle",
) -> tuple[str, float, str] | None:
    """Return ``(key, intensity, source)`` of a place as a ranking on ``basis`` prices it.

    None when the place has no figure on ``basis`` (or only a 0 g/kWh gap).
    """
    row: _Row | None = None
    if cloud_provider and cloud_region:
        try:
            row = _grid_row(tables, cloud_provider, cloud_region, basis)
        except ConfigError:
            row = None
    if row is None and region:
        try:
            sub = tables.regions.lookup(country_iso3, region)
        except ConfigError:
            pass
        else:
            row = _Row(sub.code, sub.name, sub.intensity_g_per_kwh, sub.source, sub.basis)
    if row is None or row.basis != basis or row.intensity_g_per_kwh <= 0:
        try:
            c = tables.countries.lookup(country_iso3)
        except ConfigError:
            return None
        row = _Row(c.iso3, c.name, c.intensity_g_per_kwh, f"{c.source} {c.year}", c.basis)
    if row.basis != basis or row.intensity_g_per_kwh <= 0:
        return None
    return row.key, row.intensity_g_per_kwh, row.source


__all__ = [
    "OUTLIER_FACTOR",
    "PROVIDERS",
    "RankedPlace",
    "Ranking",
    "grid_figure",
    "rank_cloud_regions",
    "rank_countries",
    "saving_at",
]

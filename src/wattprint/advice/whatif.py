"""What-if: the same energy, used elsewhere or at another time of year.

For the counted runs' energy, the emissions it would have had in the
cleanest and dirtiest countries, in the regions of the runs' cloud provider
(of every provider when the runs name none, or several), and at the same
place in its cleanest and dirtiest month of the last twelve the monthly table
holds (only for runs that used their country's figure, the table being
national); each with the saving against what the runs emitted, in kg and
percent (negative: worse). The same energy is assumed everywhere (same PUE).

Places are ranked on one basis (lifecycle) by the rules of
:mod:`wattprint.advice.ranking`. When the runs' own figure is not one the
ranking would use for their place (a cloud provider's own figure, or a figure
on another basis), the savings are computed against their place as the
ranking prices it (``baseline_g_per_kwh``), so no saving comes from the data
source alone; the notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from wattprint.advice.ranking import (
    RankedPlace,
    grid_figure,
    rank_cloud_regions,
    rank_countries,
)
from wattprint.errors import ConfigError
from wattprint.grid.choice import choose_intensity
from wattprint.grid.request import GridRequest
from wattprint.grid.tables import GridTables, default_tables
from wattprint.impact.carbon import emissions_kg
from wattprint.provenance import IntensityBasis, Location


class PlaceLike(Protocol):
    """Where a run was, as far as its record says (a report's place record fits)."""

    @property
    def country_iso3(self) -> str | None:
        """ISO 3166 alpha-3 code, ``WLD`` for the world, None when unknown."""

    @property
    def country_name(self) -> str | None:
        """The country's name, for people."""

    @property
    def region(self) -> str | None:
        """The state or province whose intensity was used, if any."""

    @property
    def cloud_provider(self) -> str | None:
        """``gcp``, ``aws``, ``azure``, if known."""

    @property
    def cloud_region(self) -> str | None:
        """The provider's region, if known."""


class RunLike(Protocol):
    """A run as the what-if needs it (a report's run line fits)."""

    @property
    def counted(self) -> bool:
        """True when the run's energy and emissions are known and counted."""

    @property
    def place(self) -> PlaceLike:
        """Where it ran."""


class TotalsLike(Protocol):
    """The counted runs' totals as the what-if needs them (a report's totals fit)."""

    @property
    def energy_kwh(self) -> float:
        """Their energy. Units: kWh."""

    @property
    def intensity_g_per_kwh(self) -> float | None:
        """Their energy-weighted mean intensity, None when unknown. Units: gCO2e/kWh."""


MONTHS_CONSIDERED = 12
"""The monthly what-if looks at the newest this many months of the place."""

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The counted runs' energy at other places and months.

    Attributes:
        energy_kwh: the energy moved. Units: kWh.
        current_g_per_kwh: the runs' mean intensity. Units: gCO2e/kWh.
        current_emissions_kg: energy x current intensity. Units: kg CO2e.
        countries_best: the cleanest countries, cleanest first.
        countries_worst: the dirtiest countries, dirtiest first.
        cloud_provider: the provider whose regions are ranked, or ``all``.
        cloud_best: its cleanest regions.
        cloud_worst: its dirtiest regions.
        months: cleanest then dirtiest month at the runs' country (keys
            ``FRA:2024-06``); empty without monthly data.
        notes: what was left out and why.
        basis: the one basis of every place ranked (``lifecycle``).
        baseline_g_per_kwh: the intensity the savings are computed against:
            the runs' own (``current_g_per_kwh``), or their place as the
            ranking prices it when their own figure is on another basis or
            from a provider's data set. Units: gCO2e/kWh.
    """

    energy_kwh: float
    current_g_per_kwh: float
    current_emissions_kg: float
    countries_best: tuple[RankedPlace, ...]
    countries_worst: tuple[RankedPlace, ...]
    cloud_provider: str
    cloud_best: tuple[RankedPlace, ...]
    cloud_worst: tuple[RankedPlace, ...]
    months: tuple[RankedPlace, ...]
    notes: tuple[str, ...]
    basis: IntensityBasis = "lifecycle"
    baseline_g_per_kwh: float | None = None


def place_at(
    key: str, name: str, intensity: float, source: str, energy_kwh: float, current: float
) -> RankedPlace:
    """Return ``energy_kwh`` at ``intensity``, with the saving against ``current`` g/kWh."""
    current_kg = emissions_kg(energy_kwh, current)
    kg = emissions_kg(energy_kwh, intensity)
    saving = current_kg - kg
    percent = 100.0 * saving / current_kg if current_kg > 0 else 0.0
    return RankedPlace(key, name, intensity, source, kg, saving, percent)


def _ends(
    ranked: list[RankedPlace], top: int
) -> tuple[tuple[RankedPlace, ...], tuple[RankedPlace, ...]]:
    """Return the ``top`` cleanest (cleanest first) and dirtiest (dirtiest first)."""
    return tuple(ranked[:top]), tuple(reversed(ranked[-top:] if top > 0 else []))


_TABLES_ONLY = GridRequest()
"""Nothing set by the user: the figure the tables give each place."""


def _baseline(
    runs: Sequence[RunLike], current: float, tables: GridTables, basis: IntensityBasis
) -> tuple[float, str | None]:
    """Return the intensity to compute savings against, and a note when it is not ``current``."""
    places = {
        (r.place.country_iso3, r.place.region, r.place.cloud_provider, r.place.cloud_region)
        for r in runs
        if r.place.country_iso3
    }
    unlike = []
    for iso3, region, provider, cloud_region in sorted(places, key=str):
        location = Location(
            iso3, "", iso3, region=region, cloud_provider=provider, cloud_region=cloud_region
        )
        try:
            own, _, _ = choose_intensity(_TABLES_ONLY, location, tables)
        except ConfigError:
            continue
        figure = grid_figure(
            tables,
            country_iso3=iso3,
            region=region,
            cloud_provider=provider,
            cloud_region=cloud_region,
            basis=basis,
        )
        if figure is not None and (
            own.basis != basis or abs(own.intensity_g_per_kwh - figure[1]) > 1e-9
        ):
            unlike.append((own, figure))
    if not unlike:
        return current, None
    if len(places) > 1:
        return current, (
            "the runs' places use figures the ranking does not (a provider's own, or another "
            "basis): part of each saving below is a difference of data source, not of place"
        )
    own, (key, value, source) = unlike[0]
    return value, (
        f"the runs used {own.intensity_g_per_kwh:g} g/kWh ({own.source}, {own.basis}); "
        f"savings are computed against {key} at {value:g} g/kWh ({source}, {basis}), "
        "as the ranking prices every place, so no saving comes from the data source alone"
    )


def what_if_of(runs: Sequence[RunLike], totals: TotalsLike, *, top: int = 3) -> WhatIf | None:
    """Return the what-if of the counted runs, or None when their energy is zero or unknown.

    ``runs`` and ``totals`` are any objects with the attributes the
    protocols name (a report's run lines and totals are): ``advice/`` does
    not import ``report/``.
    """
    current = totals.intensity_g_per_kwh
    if current is None or totals.energy_kwh <= 0:
        return None
    tables = default_tables()
    energy = totals.energy_kwh
    counted = [r for r in runs if r.counted]
    notes = []
    basis: IntensityBasis = "lifecycle"
    baseline, baseline_note = _baseline(counted, current, tables, basis)
    if baseline_note:
        notes.append(baseline_note)
    country_ranking = rank_countries(tables, energy_kwh=energy, current_g_per_kwh=baseline)
    providers = {r.place.cloud_provider for r in counted}
    provider = next(iter(providers)) if len(providers) == 1 else None
    if provider is None:
        notes.append("the runs name no single cloud provider: every provider's regions are ranked")
    cloud_ranking = rank_cloud_regions(
        tables, provider=provider, energy_kwh=energy, current_g_per_kwh=baseline
    )
    countries, clouds = list(country_ranking.places), list(cloud_ranking.places)
    for note in (*country_ranking.notes, *cloud_ranking.notes):
        if note not in notes:
            notes.append(note)
    places = {r.place.country_iso3 for r in counted}
    iso3 = next(iter(places)) if len(places) == 1 else None
    months: tuple[RankedPlace, ...] = ()
    local = sorted({r.place.cloud_region or r.place.region or "" for r in counted} - {""})
    if iso3 is None or iso3 == "WLD":
        notes.append("the runs have no single country: no monthly what-if")
    elif local:
        notes.append(
            f"the runs' intensity is that of {', '.join(local)}, not of the whole country, "
            "and the monthly table holds national figures only: no monthly what-if"
        )
    else:
        rows = tables.monthly.months(iso3)[-MONTHS_CONSIDERED:]
        if not rows:
            notes.append(f"no monthly intensity for {iso3}: no monthly what-if")
        else:
            name = next((r.place.country_name for r in counted if r.place.country_name), iso3)
            months = tuple(
                place_at(
                    f"{m.iso3}:{m.year}-{m.month:02d}",
                    f"{name}, {_MONTH_NAMES[m.month - 1]} {m.year}",
                    m.intensity_g_per_kwh,
                    m.source,
                    energy,
                    baseline,
                )
                for m in (
                    min(rows, key=lambda m: m.intensity_g_per_kwh),
                    max(rows, key=lambda m: m.intensity_g_per_kwh),
                )
            )
    best, worst = _ends(countries, top)
    cloud_best, cloud_worst = _ends(clouds, top)
    return WhatIf(
        energy_kwh=energy,
        current_g_per_kwh=current,
        current_emissions_kg=emissions_kg(energy, current),
        countries_best=best,
        countries_worst=worst,
        cloud_provider=provider or "all",
        cloud_best=cloud_best,
        cloud_worst=cloud_worst,
        months=months,
        notes=tuple(notes),
        basis=basis,
        baseline_g_per_kwh=baseline,
    )

"""The regions page: a project's energy, had it run in each country and cloud region.

The what-if of reports (:func:`wattprint.advice.whatif.what_if_of`) over the
project's runs: the places they ran (country, state, provider, from the runs'
rows) and their energy and mean intensity (SQL sums). Every country and every
cloud region of wattprint's tables is priced on one basis (lifecycle) by
:mod:`wattprint.advice.ranking`, with the saving against what the runs'
place emits as the ranking prices it; the cleanest are listed first. The
world map colours each country by its intensity; its numbers are the
countries' table. Energies kWh, emissions kg CO2e, intensities g/kWh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from wattprint.advice.ranking import RankedPlace, rank_cloud_regions, rank_countries
from wattprint.advice.whatif import what_if_of
from wattprint.grid.tables import default_tables
from wattprint.report.render.svg import Bar, bar_chart
from wattprint.server import models as m
from wattprint.server import queries as q
from wattprint.server.access import Principal, check_project
from wattprint.server.worldmap import choropleth, legend
from wattprint.units import G_PER_KG
from wattprint.units_format import energy_text, mass_text

TOP = 10
"""How many of the cleanest countries and cloud regions the page lists first."""


@dataclass(frozen=True, slots=True)
class _Place:
    """A place the project's runs ran, as the what-if reads it."""

    country_iso3: str | None
    country_name: str | None
    region: str | None
    cloud_provider: str | None
    cloud_region: str | None


@dataclass(frozen=True, slots=True)
class _Run:
    """The runs at one place, counted (their energy is in the totals)."""

    place: _Place
    counted: bool = True


@dataclass(frozen=True, slots=True)
class _Totals:
    energy_kwh: float
    intensity_g_per_kwh: float | None


def _bars(places: list[RankedPlace], label: str) -> str:
    return bar_chart(
        [Bar(f"{p.name} ({p.key})", p.emissions_kg, mass_text(p.emissions_kg)) for p in places],
        title=label,
    )


def regions_page(db: Session, who: Principal, project_id: str) -> dict[str, Any]:
    """Return the regions page's context: the map, every place priced, the cleanest first."""
    project = check_project(who, db, project_id.lower())
    totals = q.totals(db, m.Run.project_id == project.id)
    energy = totals.energy_kwh
    current = totals.emissions_kg * G_PER_KG / energy if energy > 0 else None
    ran = q.places(db, project.id)
    runs = [_Run(_Place(p["country_iso_code"], None, p["region"], p["provider"], None))
            for p in ran]  # fmt: skip
    what_if = what_if_of(runs, _Totals(energy, current), top=TOP)
    baseline = what_if.baseline_g_per_kwh if what_if and what_if.baseline_g_per_kwh else current
    tables = default_tables()
    countries = list(rank_countries(tables, energy_kwh=energy,
                                    current_g_per_kwh=baseline or 0.0).places)  # fmt: skip
    clouds = list(rank_cloud_regions(tables, provider=None, energy_kwh=energy,
                                     current_g_per_kwh=baseline or 0.0).places)  # fmt: skip
    has_energy = energy > 0 and baseline is not None

    def tip(p: RankedPlace) -> str:
        text = f"{p.name}: {p.intensity_g_per_kwh:g} g CO2e/kWh ({p.source})"
        if has_energy:
            text += f"; the project's {energy_text(energy)} would emit {mass_text(p.emissions_kg)}"
        return text

    where = {p["country_iso_code"] for p in ran if p["country_iso_code"]}
    return {
        "project": project,
        "org": db.get(m.Organisation, project.organisation_id),
        "totals": totals,
        "current_g_per_kwh": current,
        "baseline_g_per_kwh": baseline,
        "has_energy": has_energy,
        "what_if": what_if,
        "countries": countries,
        "clouds": clouds,
        "best_countries": countries[:TOP],
        "best_clouds": clouds[:TOP],
        "top": TOP,
        "ran_in": sorted(where),
        "map": choropleth(
            {p.key: p.intensity_g_per_kwh for p in countries},
            {p.key: tip(p) for p in countries},
            title="Grid carbon intensity by country (g CO2e/kWh, lifecycle)",
            outlined=where,
        ),
        "legend": legend(),
        "best_countries_chart": _bars(countries[:TOP], f"The project's energy in the {TOP} "
                                      "cleanest countries (kg CO2e)") if has_energy else "",
        "best_clouds_chart": _bars(clouds[:TOP], f"The project's energy in the {TOP} cleanest "
                                   "cloud regions (kg CO2e)") if has_energy else "",
    }  # fmt: skip

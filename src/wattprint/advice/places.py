"""Where to run: the same IT energy placed in other countries and cloud regions.

Each candidate gets the intensity wattprint would use there (the cloud
provider's own figure where it publishes one, else its country's or state's),
its PUE (the provider's published figure, 1.0 for a country: a machine of
your own) and its water, and the emissions of ``IT energy x PUE x
intensity``. The ranking states each figure's basis (``lifecycle`` or
``direct``) and says so when it mixes them, since a part of a difference
between two bases comes from the data, not from the place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wattprint.errors import ConfigError
from wattprint.grid.plan import GridPlan, plan_grid
from wattprint.grid.request import GridRequest


@dataclass(frozen=True, slots=True)
class PlaceFigure:
    """What the work would cost at one place.

    Attributes:
        key: what the user named: ``aws:eu-north-1``, ``FR``, ``US-CA``.
        name: the place for people.
        intensity_g_per_kwh: the intensity used there. Units: gCO2e/kWh.
        basis: ``lifecycle`` or ``direct`` (combustion only).
        source: where the intensity comes from, with its year.
        pue: power usage effectiveness there.
        emissions_kg: IT energy x PUE x intensity. Units: kg CO2e.
        water_l: on-site plus grid water. Units: L.
        saving_percent: the saving against where it ran, if that is known. Units: %.
    """

    key: str
    name: str
    intensity_g_per_kwh: float
    basis: str
    source: str
    pue: float
    emissions_kg: float
    water_l: float
    saving_percent: float | None


@dataclass(frozen=True, slots=True)
class PlaceRanking:
    """Candidates ranked by emissions (lowest first), the current place, and notes."""

    places: tuple[PlaceFigure, ...]
    current: PlaceFigure | None
    notes: tuple[str, ...]


def _request(key: str) -> GridRequest:
    if ":" in key:
        return GridRequest(cloud=key)
    if "-" in key:
        return GridRequest(country=key.split("-", 1)[0], region=key)
    return GridRequest(country=key)


def _figure(key: str, plan: GridPlan, it_energy_kwh: float) -> PlaceFigure:
    intensity = plan.intensity
    energy = it_energy_kwh * plan.pue
    grid_water = plan.grid_water.water_l_per_kwh if plan.grid_water is not None else 0.0
    year = f" {intensity.year}" if intensity.year else ""
    loc = plan.location
    name = loc.cloud_region and f"{loc.cloud_provider}:{loc.cloud_region}" or (
        loc.region or loc.country_name
    )
    return PlaceFigure(
        key=key,
        name=name,
        intensity_g_per_kwh=intensity.intensity_g_per_kwh,
        basis=intensity.basis,
        source=f"{intensity.source}{year}",
        pue=plan.pue,
        emissions_kg=energy * intensity.intensity_g_per_kwh / 1000.0,
        water_l=it_energy_kwh * plan.wue_l_per_kwh + energy * grid_water,
        saving_percent=None,
    )


def compare_places(
    candidates: Sequence[str], *, it_energy_kwh: float, current_key: str | None = None
) -> PlaceRanking:
    """Rank ``candidates`` by what ``it_energy_kwh`` of IT energy would emit there.

    Raises:
        ConfigError: no candidate, an unknown place (the message names it and
            what is accepted), or an energy that is not a number >= 0.
    """
    if not (math.isfinite(it_energy_kwh) and it_energy_kwh >= 0):
        raise ConfigError("energy_kwh", it_energy_kwh, "kWh >= 0")
    if not candidates:
        raise ConfigError("candidates", "", "at least one place, e.g. aws:eu-north-1,FR")
    figures = []
    for key in dict.fromkeys(candidates):
        try:
            plan = plan_grid(_request(key), env={})
        except ConfigError as err:
            raise ConfigError("candidates", key, f"a known place ({err.accepted})") from err
        figures.append(_figure(key, plan, it_energy_kwh))
    here = None
    if current_key:
        try:
            here = _figure(current_key, plan_grid(_request(current_key), env={}), it_energy_kwh)
        except ConfigError:
            here = None
    ranked = sorted(figures, key=lambda f: (f.emissions_kg, f.key))
    if here is not None and here.emissions_kg > 0:
        ranked = [
            _with_saving(f, 100.0 * (here.emissions_kg - f.emissions_kg) / here.emissions_kg)
            for f in ranked
        ]
    notes = []
    bases = {f.basis for f in ranked} | ({here.basis} if here else set())
    if len(bases) > 1:
        notes.append(
            "the figures mix bases (" + ", ".join(sorted(bases)) + "): direct (combustion "
            "only) figures are about 10 % below lifecycle ones, so part of a difference "
            "between them comes from the data, not the place"
        )
    return PlaceRanking(tuple(ranked), here, tuple(notes))


def _with_saving(figure: PlaceFigure, saving: float) -> PlaceFigure:
    from dataclasses import replace

    return replace(figure, saving_percent=saving)


def default_candidates(provider: str | None) -> list[str]:
    """Return every region of ``provider`` (or the countries with a figure, if None).

    Raises:
        ConfigError: an unknown provider; names the accepted ones.
    """
    from wattprint.grid.tables import default_tables

    tables = default_tables()
    if provider is None:
        return [c.iso2 or c.iso3 for c in tables.countries if c.iso3 != "WLD"]
    providers = ("gcp", "aws", "azure")
    if provider.lower() not in providers:
        raise ConfigError("provider", provider, "one of 'gcp', 'aws', 'azure'")
    return [f"{r.provider}:{r.region}" for r in tables.clouds.regions(provider.lower())]

"""``wattprint intensity`` and ``wattprint regions``: the grid, from the command line."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Literal

import click

from wattprint.cli.group import _usage_error, given, place_options
from wattprint.errors import ConfigError

if TYPE_CHECKING:
    from wattprint.grid.plan import GridPlan
    from wattprint.grid.request import GridRequest


def _plan(options: dict[str, Any]) -> tuple[GridRequest, GridPlan]:
    from wattprint.grid.plan import plan_grid
    from wattprint.settings.resolve import resolve_settings
    from wattprint.tracking.grid_request import request_from

    try:
        request = request_from(resolve_settings({"save_to_file": False, **given(options)}))
        return request, plan_grid(request)
    except ConfigError as err:
        raise _usage_error(err) from err


@click.command()
@place_options
@click.option(
    "--live", "live_provider", default=None, help="Ask a live provider now: electricitymaps or uk."
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def intensity(as_json: bool, **options: Any) -> None:
    """Show the intensity a run would use here, and how the place was found."""
    from wattprint.grid.tables import default_tables
    from wattprint.grid.timeline import IntensityTimeline, live_for

    request, plan = _plan(options)
    loc, base = plan.location, plan.intensity
    data: dict[str, Any] = {
        "intensity_g_per_kwh": base.intensity_g_per_kwh,
        "source": base.source,
        "year": base.year,
        "kind": base.kind,
        "basis": base.basis,
        "detail": base.detail,
        "country_iso_code": loc.country_iso3,
        "country_name": loc.country_name,
        "region": loc.region,
        "cloud_provider": loc.cloud_provider,
        "cloud_region": loc.cloud_region,
        "how": loc.how,
        "water_l_per_kwh": plan.grid_water.water_l_per_kwh if plan.grid_water else None,
        "pue": plan.pue,
        "pue_source": plan.pue_source,
        "wue_l_per_kwh": plan.wue_l_per_kwh,
        "wue_source": plan.wue_source,
        "notes": list(plan.warnings),
    }
    if options.get("live_provider"):
        try:
            live = live_for(request, loc, os.environ)
        except ConfigError as err:
            raise click.UsageError(str(err)) from err
        timeline = IntensityTimeline(plan, default_tables(), *live)
        now = timeline.latest()
        if now is not None:
            data.update(
                intensity_g_per_kwh=now.intensity_g_per_kwh,
                source=now.source,
                year=now.year,
                kind=now.kind,
                basis=now.basis,
                detail=now.detail,
            )
        data["notes"].extend(timeline.notes)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    place = loc.country_name + (f", {loc.region}" if loc.region else "")
    if loc.cloud_provider:
        place += f" ({loc.cloud_provider}:{loc.cloud_region})"
    click.echo(f"{place}: {data['intensity_g_per_kwh']:g} g/kWh ({data['kind']}, {data['basis']})")
    click.echo(f"  source: {data['detail']}")
    click.echo(f"  place found: {loc.how}")
    if data["water_l_per_kwh"] is not None:
        click.echo(f"  grid water: {data['water_l_per_kwh']:g} L/kWh")
    click.echo(
        f"  PUE {plan.pue:g} ({plan.pue_source}); WUE {plan.wue_l_per_kwh:g} L/kWh "
        f"({plan.wue_source})"
    )
    for note in data["notes"]:
        click.echo(f"  note: {note}", err=True)


@click.command()
@click.option(
    "--cloud",
    "provider",
    default=None,
    help="Rank this provider's regions (gcp, aws, azure); 'all' for every provider.",
)
@click.option(
    "--energy-kwh",
    type=float,
    default=1.0,
    show_default=True,
    help="Energy to price at each place. Units: kWh.",
)
@click.option(
    "--regions",
    "with_regions",
    is_flag=True,
    help="Include states and provinces among the countries.",
)
@click.option("--limit", type=int, default=None, help="Show only the first N places.")
@click.option("--country", default=None, help="The current place, to compute savings against.")
@click.option(
    "--basis",
    type=click.Choice(["lifecycle", "direct"]),
    default="lifecycle",
    show_default=True,
    help="Rank figures on this basis only (lifecycle gCO2e or direct CO2 of the plants).",
)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def regions(
    provider: str | None,
    energy_kwh: float,
    with_regions: bool,
    limit: int | None,
    country: str | None,
    basis: Literal["lifecycle", "direct"],
    as_json: bool,
) -> None:
    """Rank countries or cloud regions on one basis, with what N kWh would emit there.

    Places whose table figure is 0 g/kWh (a data gap) are left out; a cloud
    region is ranked at its grid's figure, the provider's own shown beside it
    and flagged (!) when implausible.
    """
    from wattprint.advice.ranking import PROVIDERS, rank_cloud_regions, rank_countries
    from wattprint.grid.tables import default_tables

    if energy_kwh < 0 or energy_kwh != energy_kwh:
        raise click.BadParameter(f"{energy_kwh!r}: expected kWh >= 0", param_hint="--energy-kwh")
    _, plan = _plan({"country": country})
    current = plan.intensity.intensity_g_per_kwh
    tables = default_tables()
    notes: list[str] = []
    if plan.intensity.basis != basis:
        notes.append(
            f"the current place's figure is {plan.intensity.basis}, the ranking {basis}: "
            "part of each saving is a difference of basis"
        )
    try:
        if provider is None:
            ranking = rank_countries(
                tables,
                energy_kwh=energy_kwh,
                current_g_per_kwh=current,
                regions=with_regions,
                basis=basis,
            )
        else:
            chosen = None if provider.lower() == "all" else provider
            if chosen is not None and chosen.lower() not in PROVIDERS:
                tables.clouds.efficiency(chosen)  # raises with the accepted names
            ranking = rank_cloud_regions(
                tables,
                provider=chosen,
                energy_kwh=energy_kwh,
                current_g_per_kwh=current,
                basis=basis,
            )
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="--cloud") from err
    notes += ranking.notes
    ranked = ranking.places
    shown = ranked[:limit] if limit else ranked
    here = f"{plan.location.country_name} ({current:g} g/kWh, {plan.location.how})"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "current": {
                        "place": plan.location.country_iso3,
                        "intensity_g_per_kwh": current,
                        "basis": plan.intensity.basis,
                    },
                    "energy_kwh": energy_kwh,
                    "basis": ranking.basis,
                    "places": [
                        {
                            "key": p.key,
                            "name": p.name,
                            "intensity_g_per_kwh": p.intensity_g_per_kwh,
                            "source": p.source,
                            "emissions_kg": p.emissions_kg,
                            "saving_kg": p.saving_kg,
                            "saving_percent": p.saving_percent,
                            "basis": p.basis,
                            "provider_g_per_kwh": p.provider_g_per_kwh,
                            "flag": p.flag,
                        }
                        for p in shown
                    ],
                    "notes": notes,
                },
                indent=2,
            )
        )
        return
    click.echo(f"{energy_kwh:g} kWh on the {ranking.basis} basis; savings against {here}")
    cloud = provider is not None
    extra = f" {'provider':>9}" if cloud else ""
    click.echo(f"{'place':<28} {'name':<28} {'g/kWh':>8} {'kg CO2e':>10} {'saving':>8}{extra}")
    for p in shown:
        beside = ""
        if cloud:
            value = "-" if p.provider_g_per_kwh is None else f"{p.provider_g_per_kwh:.1f}"
            beside = f" {value:>9}{' !' if p.flag else ''}"
        click.echo(
            f"{p.key:<28} {p.name[:28]:<28} {p.intensity_g_per_kwh:>8.1f} "
            f"{p.emissions_kg:>10.4f} {p.saving_percent:>7.0f}%{beside}"
        )
    for p in shown:
        if p.flag:
            click.echo(f"! {p.key}: {p.flag}")
    for note in notes:
        click.echo(f"note: {note}", err=True)

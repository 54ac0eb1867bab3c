"""``wattprint intensity`` and ``wattprint regions``: the grid, from the command line."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import click

from wattprint.cli.main import _usage_error, given, place_options
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
                detail=now.detail,
            )
        data["notes"].extend(timeline.notes)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    place = loc.country_name + (f", {loc.region}" if loc.region else "")
    if loc.cloud_provider:
        place += f" ({loc.cloud_provider}:{loc.cloud_region})"
    click.echo(f"{place}: {data['intensity_g_per_kwh']:g} gCO2e/kWh ({data['kind']})")
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
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def regions(
    provider: str | None,
    energy_kwh: float,
    with_regions: bool,
    limit: int | None,
    country: str | None,
    as_json: bool,
) -> None:
    """Rank countries or cloud regions by intensity, with what N kWh would emit there."""
    from wattprint.advice.ranking import PROVIDERS, rank_cloud_regions, rank_countries
    from wattprint.grid.tables import default_tables

    if energy_kwh < 0 or energy_kwh != energy_kwh:
        raise click.BadParameter(f"{energy_kwh!r}: expected kWh >= 0", param_hint="--energy-kwh")
    _, plan = _plan({"country": country})
    current = plan.intensity.intensity_g_per_kwh
    tables = default_tables()
    try:
        if provider is None:
            ranked = rank_countries(
                tables, energy_kwh=energy_kwh, current_g_per_kwh=current, regions=with_regions
            )
        else:
            chosen = None if provider.lower() == "all" else provider
            if chosen is not None and chosen.lower() not in PROVIDERS:
                tables.clouds.efficiency(chosen)  # raises with the accepted names
            ranked = rank_cloud_regions(
                tables, provider=chosen, energy_kwh=energy_kwh, current_g_per_kwh=current
            )
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="--cloud") from err
    shown = ranked[:limit] if limit else ranked
    here = f"{plan.location.country_name} ({current:g} g/kWh, {plan.location.how})"
    if as_json:
        click.echo(
            json.dumps(
                {
                    "current": {
                        "place": plan.location.country_iso3,
                        "intensity_g_per_kwh": current,
                    },
                    "energy_kwh": energy_kwh,
                    "places": [
                        {
                            "key": p.key,
                            "name": p.name,
                            "intensity_g_per_kwh": p.intensity_g_per_kwh,
                            "source": p.source,
                            "emissions_kg": p.emissions_kg,
                            "saving_kg": p.saving_kg,
                            "saving_percent": p.saving_percent,
                        }
                        for p in shown
                    ],
                },
                indent=2,
            )
        )
        return
    click.echo(f"{energy_kwh:g} kWh; savings against {here}")
    click.echo(f"{'place':<26} {'name':<28} {'g/kWh':>8} {'kg CO2e':>10} {'saving':>8}")
    for p in shown:
        click.echo(
            f"{p.key:<26} {p.name[:28]:<28} {p.intensity_g_per_kwh:>8.1f} "
            f"{p.emissions_kg:>10.4f} {p.saving_percent:>7.0f}%"
        )

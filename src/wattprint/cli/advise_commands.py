"""``wattprint advise where|when|parity``: advice with numbers, from the command line."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from wattprint.errors import ConfigError, WattprintError

if TYPE_CHECKING:
    from wattprint.records.record import RunRecord


def _bad(err: ConfigError, hint: str) -> click.BadParameter:
    return click.BadParameter(str(err), param_hint=hint)


def _duration(text: str, hint: str) -> timedelta:
    from wattprint.advice.durations import parse_duration

    try:
        return parse_duration(text, hint)
    except ConfigError as err:
        raise _bad(err, hint) from err


def _find_run(run_id: str, files: tuple[Path, ...]) -> RunRecord:
    """Return the run whose id starts with ``run_id`` in ``files`` (default ./emissions.csv)."""
    from wattprint.records.read import read_records

    paths = files or (Path("emissions.csv"), Path("emissions.jsonl"))
    found = []
    for path in paths:
        if not path.is_file():
            continue
        found += [r for r in read_records(path, on_damaged=lambda err: None)
                  if (r.run_id or "").startswith(run_id)]  # fmt: skip
    if len(found) != 1:
        where = ", ".join(str(p) for p in paths)
        what = "no run" if not found else f"{len(found)} runs"
        raise click.ClickException(
            f"--run {run_id!r}: {what} with that id in {where} (give a longer id or --file)"
        )
    return found[0]


@click.group()
def advise() -> None:
    """Advice with numbers: where to run, when to start, when inference passes training."""


@advise.command()
@click.option("--energy-kwh", type=float, default=None, help="IT energy to place. [kWh]")
@click.option("--run", "run_id", default=None, help="Take the energy of this run (id or prefix).")
@click.option("--file", "files", multiple=True, type=click.Path(path_type=Path),
              help="Emissions file(s) holding --run (default ./emissions.csv).")  # fmt: skip
@click.option("--candidates", default=None,
              help="Places to compare: provider:region, country or state codes, comma-separated.")
@click.option("--provider", default=None, help="Compare every region of gcp, aws or azure.")
@click.option("--limit", type=int, default=10, help="Show the best N places. [default: 10]")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def where(
    energy_kwh: float | None,
    run_id: str | None,
    files: tuple[Path, ...],
    candidates: str | None,
    provider: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Rank places by what the same work would emit there, with the saving."""
    from wattprint.advice.places import compare_places, default_candidates

    if (energy_kwh is None) == (run_id is None):
        raise click.UsageError("give one of --energy-kwh or --run")
    current = None
    if run_id is not None:
        run = _find_run(run_id, files)
        if run.energy_kwh is None:
            raise click.ClickException(f"--run {run_id!r}: {run.origin} records no energy")
        energy_kwh = run.energy_kwh / (run.pue or 1.0)
        place = run.place
        current = (f"{place.cloud_provider}:{place.cloud_region}"
                   if place.cloud_provider and place.cloud_region
                   else place.region or place.country_iso3)  # fmt: skip
    assert energy_kwh is not None  # noqa: S101 - checked above (for the type checker)
    if not energy_kwh >= 0 or energy_kwh == float("inf"):
        raise click.BadParameter(f"{energy_kwh!r}: expected kWh >= 0", param_hint="--energy-kwh")
    try:
        keys = ([c.strip() for c in candidates.split(",") if c.strip()] if candidates
                else default_candidates(provider))  # fmt: skip
        ranking = compare_places(keys, it_energy_kwh=energy_kwh, current_key=current)
    except ConfigError as err:
        raise _bad(err, "--candidates" if candidates else "--provider") from err
    shown = ranking.places[:limit] if limit > 0 else ranking.places
    if as_json:
        click.echo(json.dumps({"it_energy_kwh": energy_kwh,
                               "current": asdict(ranking.current) if ranking.current else None,
                               "places": [asdict(p) for p in shown]}, indent=2))  # fmt: skip
        return
    if ranking.current is not None:
        c = ranking.current
        click.echo(f"{energy_kwh:g} kWh (IT) ran in {c.name}: {c.emissions_kg:.4g} kg CO2e "
                   f"at {c.intensity_g_per_kwh:g} g/kWh x PUE {c.pue:g}")  # fmt: skip
    click.echo(f"{'place':<24} {'g/kWh':>7} {'basis':<9} {'PUE':>5} {'kg CO2e':>9} {'water L':>8} "
               f"{'saving':>7}")  # fmt: skip
    for p in shown:
        saving = f"{p.saving_percent:>6.0f}%" if p.saving_percent is not None else "      -"
        click.echo(f"{p.key[:24]:<24} {p.intensity_g_per_kwh:>7.1f} {p.basis:<9} {p.pue:>5.2f} "
                   f"{p.emissions_kg:>9.4g} {p.water_l:>8.3g} {saving}")  # fmt: skip
    for note in ranking.notes:
        click.echo(f"note: {note}")


@advise.command()
@click.option("--duration", "duration_text", required=True, help="How long the job runs: 3h, 90m.")
@click.option("--within", "within_text", default="24h", show_default=True,
              help="Start at the latest this long from now.")  # fmt: skip
@click.option("--place", default=None, help="Country or zone (default: the configured place).")
@click.option("--forecast", "forecast_file", type=click.Path(path_type=Path), default=None,
              help="A forecast file: the Carbon Aware SDK's JSON, or CSV time,intensity_g_per_kwh.")
@click.option("--live", default=None, help="Ask a live provider's forecast: uk or electricitymaps.")
@click.option("--json", "as_json", is_flag=True, help="Print the windows as JSON on stdout.")
def when(
    duration_text: str,
    within_text: str,
    place: str | None,
    forecast_file: Path | None,
    live: str | None,
    as_json: bool,
) -> None:
    """Find the start time of lowest average intensity, and the saving against now."""
    from wattprint.advice.when import cleanest_months, forecast_from_live, windows_from

    duration = _duration(duration_text, "--duration")
    within = _duration(within_text, "--within")
    now = datetime.now(timezone.utc)
    try:
        if forecast_file is not None:
            from wattprint.advice.forecast_text import parse_forecast

            try:
                text = forecast_file.read_text(encoding="utf-8")
            except OSError as err:
                raise click.BadParameter(f"{forecast_file}: {err.strerror}",
                                         param_hint="--forecast") from err  # fmt: skip
            points = parse_forecast(text, str(forecast_file))
        elif live is not None:
            points = forecast_from_live(live, place)
        else:
            advice = cleanest_months(place)
            if as_json:
                click.echo(json.dumps(asdict(advice), indent=2))
            else:
                click.echo(advice.text)
            return
        result = windows_from(points, duration=duration, within=within, now=now)
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    except WattprintError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    click.echo(result.text)


@advise.command()
@click.option("--training", required=True, help="The training run (id or prefix).")
@click.option("--inference", required=True, help="An inference run that counted its units.")
@click.option("--file", "files", multiple=True, type=click.Path(path_type=Path),
              help="Emissions file(s) holding the runs (default ./emissions.csv).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print as JSON on stdout.")
def parity(training: str, inference: str, files: tuple[Path, ...], as_json: bool) -> None:
    """Say after how many inferences inference has cost as much as training."""
    from wattprint.advice.parity import parity as parity_of

    train, infer = _find_run(training, files), _find_run(inference, files)
    try:
        p = parity_of(
            training_kwh=_number(train.energy_kwh), training_kg=_number(train.emissions_kg),
            inference_kwh=_number(infer.energy_kwh), inference_kg=_number(infer.emissions_kg),
            units=_number(infer.units), unit=infer.unit or "unit",
        )  # fmt: skip
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    if as_json:
        click.echo(json.dumps(asdict(p), indent=2))
        return
    click.echo(
        f"one {p.unit}: {p.per_unit_kwh * 1000:.4g} Wh, {p.per_unit_kg * 1000:.4g} g CO2e; "
        f"inference passes training after {p.energy_units:,.0f} {p.unit}s "
        f"({p.energy_units_low:,.0f}-{p.energy_units_high:,.0f}) on energy, "
        f"{p.emissions_units:,.0f} on emissions"
    )


def _number(value: float | None) -> float:
    """Return the figure, 0 where the record lacks it (which the parity refuses, naming it)."""
    return 0.0 if value is None else value

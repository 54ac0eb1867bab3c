"""``wattprint run``'s advice options: a budget, and a carbon-aware start.

* ``--budget 2kg`` or ``--budget 0.5kWh`` sets ``budget_kg`` or
  ``budget_kwh``; with ``--on-budget stop`` the command is ended once the
  budget is passed and wattprint exits with 3.
* ``--start-within 8h --duration 3h`` waits for the start of lowest average
  intensity in a forecast (``--forecast FILE``, else the live provider
  configured with ``--live``/``live_provider``), saying when and why; Ctrl-C
  while waiting starts nothing. The run's result notes the intensity avoided.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, WattprintError

BUDGET_EXIT_CODE = 3
"""``wattprint run``'s exit status when ``--on-budget stop`` ended the command."""


def advice_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add --budget, --start-within, --duration and --forecast to a command."""
    for option in reversed([
        click.option("--budget", default=None,
                     help="Energy or carbon budget: 2kg, 500g, 0.5kWh (see --on-budget)."),
        click.option("--start-within", default=None,
                     help="Wait for the cleanest start within this time, e.g. 8h."),
        click.option("--duration", "expected_duration", default=None,
                     help="Expected duration of the command, for --start-within, e.g. 3h."),
        click.option("--forecast", "forecast_file", default=None,
                     type=click.Path(dir_okay=False, path_type=Path),
                     help="Forecast for --start-within (Carbon Aware SDK JSON or CSV)."),
    ]):  # fmt: skip
        func = option(func)
    return func


def apply_budget(options: dict[str, Any]) -> None:
    """Turn ``--budget`` into ``budget_kg`` or ``budget_kwh`` in ``options`` (in place).

    Raises:
        click.BadParameter: not a budget; names the value and the units accepted.
    """
    text = options.pop("budget", None)
    if text is None:
        return
    from wattprint.advice.budget import parse_budget

    try:
        budget = parse_budget(text, "--budget")
    except ConfigError as err:
        raise click.BadParameter(str(err), param_hint="--budget") from err
    key = "budget_kg" if budget.quantity == "emissions_kg" else "budget_kwh"
    options[key] = budget.limit


class Waited(NamedTuple):  # a named tuple: cheaper to define than a dataclass
    """What a carbon-aware start did: when, and the intensity it avoided."""

    start: datetime
    intensity_g_per_kwh: float
    now_intensity_g_per_kwh: float | None

    @property
    def note(self) -> str:
        """The sentence the run's result keeps."""
        if self.now_intensity_g_per_kwh is None:
            return (f"carbon-aware start at {self.start:%Y-%m-%d %H:%M} UTC: forecast average "
                    f"{self.intensity_g_per_kwh:.1f} gCO2e/kWh")  # fmt: skip
        return (
            f"carbon-aware start at {self.start:%Y-%m-%d %H:%M} UTC: forecast average "
            f"{self.intensity_g_per_kwh:.1f} gCO2e/kWh instead of "
            f"{self.now_intensity_g_per_kwh:.1f} if started at once (avoided "
            f"{self.now_intensity_g_per_kwh - self.intensity_g_per_kwh:.1f} gCO2e/kWh)"
        )


def wait_for_start(
    options: dict[str, Any],
    *,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Waited | None:
    """Wait for the best start if ``--start-within`` was given; pop the options it used.

    Raises:
        click.UsageError: --start-within without --duration, or the reverse.
        click.ClickException: no forecast, or one that covers no window.
    """
    within_text = options.pop("start_within", None)
    duration_text = options.pop("expected_duration", None)
    forecast_file = options.pop("forecast_file", None)
    if within_text is None and duration_text is None:
        return None
    from wattprint.advice.durations import parse_duration
    from wattprint.advice.when import forecast_from_live, windows_from

    if within_text is None or duration_text is None:
        raise click.UsageError("--start-within and --duration go together")
    try:
        within = parse_duration(within_text, "--start-within")
        duration = parse_duration(duration_text, "--duration")
        if forecast_file is not None:
            from wattprint.advice.forecast_text import parse_forecast

            points = parse_forecast(forecast_file.read_text(encoding="utf-8"), str(forecast_file))
        elif options.get("live_provider"):
            points = forecast_from_live(options["live_provider"], options.get("country"))
        else:
            raise click.UsageError("--start-within needs a forecast: --forecast FILE or --live")
        advice = windows_from(points, duration=duration, within=within, now=now())
    except (ConfigError, OSError) as err:
        raise click.ClickException(f"--start-within: {err}") from err
    except WattprintError as err:
        raise click.ClickException(f"--start-within: {err}") from err
    best = advice.best[0]
    delay_s = max(0.0, (best.start - now()).total_seconds())
    click.echo(
        f"wattprint: starting at {best.start:%Y-%m-%d %H:%M:%S} UTC (in "
        f"{timedelta(seconds=round(delay_s))}): forecast average "
        f"{best.intensity_g_per_kwh:.1f} gCO2e/kWh"
        + (f" against {advice.now_intensity_g_per_kwh:.1f} now ({best.saving_percent:.0f} % less)"
           if advice.now_intensity_g_per_kwh is not None else ""),  # fmt: skip
        err=True,
    )
    deadline = time.monotonic() + delay_s
    while (left := deadline - time.monotonic()) > 0:
        sleep(min(left, 1.0))  # Ctrl-C here raises KeyboardInterrupt: nothing has started
    return Waited(best.start, best.intensity_g_per_kwh, advice.now_intensity_g_per_kwh)

"""When to run: the best start in a forecast, or, offline, the cleanest months.

With a forecast (a file, or a live provider's), the best windows follow the
Carbon Aware SDK's rules (:mod:`wattprint.advice.windows`), searched from now
to ``now + within``. Without one, wattprint ships no hourly profile it may
honestly use, so it says which months of the year are cleanest from the
monthly table (Ember, CC BY 4.0) and that hourly advice needs a forecast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from wattprint.advice.windows import ForecastPoint, Window, all_windows, best_windows
from wattprint.errors import ConfigError

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class WhenAdvice:
    """The best windows in a forecast, and the saving against starting now.

    Attributes:
        best: every window of the lowest average, earliest first.
        now_intensity_g_per_kwh: the average if started at the search start. Units: gCO2e/kWh.
        duration_s: the job's duration. Units: s.
        search_start: the earliest start considered.
        search_end: the latest end considered.
        windows_considered: how many fully covered windows there were.
    """

    best: tuple[Window, ...]
    now_intensity_g_per_kwh: float | None
    duration_s: float
    search_start: datetime
    search_end: datetime
    windows_considered: int

    @property
    def text(self) -> str:
        """The advice for people."""
        first = self.best[0]
        lines = [
            f"best start: {first.start:%Y-%m-%d %H:%M} UTC for {timedelta(seconds=self.duration_s)}"
            f", average {first.intensity_g_per_kwh:.1f} gCO2e/kWh"
        ]
        if self.now_intensity_g_per_kwh is not None:
            lines.append(
                f"starting now: {self.now_intensity_g_per_kwh:.1f} gCO2e/kWh; waiting saves "
                f"{first.saving_percent:.0f} %"
            )
        for other in self.best[1:]:
            lines.append(f"equally good: {other.start:%Y-%m-%d %H:%M} UTC")
        lines.append(f"({self.windows_considered} windows with full forecast coverage compared)")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """Return the advice as plain JSON-ready data."""
        return {
            "best": [
                {**asdict(w), "start": w.start.isoformat(), "end": w.end.isoformat()}
                for w in self.best
            ],
            "now_intensity_g_per_kwh": self.now_intensity_g_per_kwh,
            "duration_s": self.duration_s,
            "search_start": self.search_start.isoformat(),
            "search_end": self.search_end.isoformat(),
            "windows_considered": self.windows_considered,
        }


def windows_from(
    points: list[ForecastPoint], *, duration: timedelta, within: timedelta, now: datetime
) -> WhenAdvice:
    """Return the best windows of ``duration`` starting between now and ``now + within``.

    The search starts at ``now`` or at the forecast's first point, whichever
    is later, and ends at ``now + within + duration`` or the forecast's end.

    Raises:
        ConfigError: the forecast does not cover a window in that range, or
            the duration is longer than what it covers.
    """
    if not points:
        raise ConfigError("forecast", "[]", "at least one forecast point")
    first = max(now, min(p.time for p in points))
    last = min(now + within + duration, max(p.end for p in points))
    best = best_windows(points, duration, start=first, end=last)
    from wattprint.advice.windows import window_average

    now_average = window_average(points, first, first + duration)
    considered = [w for w in all_windows(points, duration) if first <= w[0] <= last - duration]
    return WhenAdvice(
        best=tuple(best),
        now_intensity_g_per_kwh=now_average,
        duration_s=duration.total_seconds(),
        search_start=first,
        search_end=last,
        windows_considered=max(len(considered), len(best)),
    )


def forecast_from_live(provider: str, place: str | None) -> list[ForecastPoint]:
    """Ask a live provider for its forecast of ``place`` (default: the configured place).

    Raises:
        ConfigError: an unknown provider or place, or a provider left unconfigured.
        ProviderError: the provider could not be reached or answered nonsense.
    """
    import os

    from wattprint.grid.live.choose import make_provider, zone_for
    from wattprint.grid.plan import plan_grid
    from wattprint.grid.request import GridRequest

    plan = plan_grid(GridRequest(country=place), env={}) if place else plan_grid(GridRequest())
    live = make_provider(
        provider=provider,
        token=os.environ.get("WATTPRINT_ELECTRICITYMAPS_TOKEN"),
        source="--live",
    )
    if live is None:
        raise ConfigError("--live", provider, "uk or electricitymaps")
    zone = zone_for(live.name, plan.location.country_iso2, plan.location.region)
    return [
        ForecastPoint(p.start, p.end - p.start, p.intensity_g_per_kwh)
        for p in live.forecast(zone)
    ]


@dataclass(frozen=True, slots=True)
class MonthsAdvice:
    """Offline advice: the cleanest months of a place, from monthly averages.

    Attributes:
        place: the country's alpha-3 code.
        source: where the monthly figures come from.
        months: ``(month name, average gCO2e/kWh)`` from cleanest to dirtiest.
        hourly: always False: hourly advice needs a forecast.
        text: the advice for people.
    """

    place: str
    source: str
    months: tuple[tuple[str, float], ...]
    hourly: bool
    text: str


def cleanest_months(place: str | None) -> MonthsAdvice:
    """Rank the calendar months of ``place`` by their average intensity in the table.

    Raises:
        ConfigError: an unknown place, or one without monthly figures.
    """
    from wattprint.grid.monthly import MonthlyTable
    from wattprint.grid.plan import plan_grid
    from wattprint.grid.request import GridRequest

    plan = plan_grid(GridRequest(country=place), env={}) if place else plan_grid(GridRequest())
    iso3 = plan.location.country_iso3
    rows = MonthlyTable().months(iso3)
    if not rows:
        raise ConfigError(
            "place", place or iso3, "a country with monthly figures (about 90 in Ember's data)"
        )
    latest = max(r.year for r in rows)
    recent = [r for r in rows if r.year >= latest - 2]
    by_month: dict[int, list[float]] = {}
    for r in recent:
        by_month.setdefault(r.month, []).append(r.intensity_g_per_kwh)
    ranked = sorted(
        ((_MONTHS[m - 1], sum(v) / len(v)) for m, v in by_month.items()), key=lambda mv: mv[1]
    )
    best, worst = ranked[0], ranked[-1]
    saving = 100.0 * (worst[1] - best[1]) / worst[1] if worst[1] > 0 else 0.0
    years = f"{min(r.year for r in recent)}-{latest}"
    text = (
        f"{plan.location.country_name}: cleanest months {', '.join(m for m, _ in ranked[:3])} "
        f"({best[1]:.0f} gCO2e/kWh in {best[0]}, {saving:.0f} % below {worst[0]}), "
        f"monthly averages {years}, {rows[0].source}.\n"
        "Hourly advice needs a forecast: give --forecast FILE or --live uk|electricitymaps."
    )
    return MonthsAdvice(iso3, rows[0].source, tuple(ranked), False, text)

"""The best time to start a job: the window of lowest average intensity in a forecast.

Follows the Carbon Aware SDK's rules (``EmissionsDataExtensions.RollingAverage``,
``CarbonAwareOptimalEmission``):

* a forecast is a list of points, each a rating (gCO2e/kWh) holding from its
  time for its duration;
* candidate starts are the forecast's own point times inside the search range
  (the first one at or after its start), so the tick is the data's own;
* a window counts only if the forecast covers all of it, and it must end by
  the end of the range;
* its value is the time-weighted average of the ratings it overlaps, a point
  partly inside weighted by the part inside (the SDK's documented example:
  30, 100, 50 g/kWh hourly from 01:00, over 01:30-03:30, give 70);
* every window whose average equals the lowest is returned (ties), earliest
  first.

Minimising the average over a fixed-length window is minimising the emissions
of a job of constant power. Pure functions: no clock, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from wattprint.errors import ConfigError

_TIE_REL = 1e-9


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    """A rating holding from ``time`` for ``duration``.

    Attributes:
        time: when the point starts (aware UTC).
        duration: how long it holds.
        intensity_g_per_kwh: the rating. Units: gCO2e/kWh.
    """

    time: datetime
    duration: timedelta
    intensity_g_per_kwh: float

    @property
    def end(self) -> datetime:
        """When the point stops holding."""
        return self.time + self.duration


@dataclass(frozen=True, slots=True)
class Window:
    """A candidate start and what starting then would cost.

    Attributes:
        start: the start (aware UTC).
        end: the end, ``start + duration``.
        intensity_g_per_kwh: the window's time-weighted average. Units: gCO2e/kWh.
        saving_percent: how much lower than starting at the search start. Units: %.
    """

    start: datetime
    end: datetime
    intensity_g_per_kwh: float
    saving_percent: float


def window_average(points: Sequence[ForecastPoint], start: datetime, end: datetime) -> float | None:
    """Return the time-weighted average rating over [start, end), or None if not fully covered."""
    span_s = (end - start).total_seconds()
    if span_s <= 0:
        raise ConfigError("duration", end - start, "a duration > 0")
    weighted = 0.0
    covered = 0.0
    for point in points:
        lo, hi = max(point.time, start), min(point.end, end)
        overlap = (hi - lo).total_seconds()
        if overlap > 0:
            weighted += point.intensity_g_per_kwh * overlap
            covered += overlap
    if covered < span_s * (1 - 1e-9):
        return None
    return weighted / span_s


def _check(points: Sequence[ForecastPoint]) -> list[ForecastPoint]:
    if not points:
        raise ConfigError("forecast", "[]", "at least one forecast point")
    ordered = sorted(points, key=lambda p: p.time)
    for point in ordered:
        if point.duration.total_seconds() <= 0:
            raise ConfigError(
                "forecast duration", point.duration, "a duration > 0", str(point.time)
            )
        if not math.isfinite(point.intensity_g_per_kwh) or point.intensity_g_per_kwh < 0:
            raise ConfigError(
                "forecast rating", point.intensity_g_per_kwh, "gCO2e/kWh >= 0", str(point.time)
            )
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.time < a.end:
            raise ConfigError(
                "forecast", f"points at {a.time} and {b.time}", "points that do not overlap"
            )
    return ordered


def best_windows(
    points: Sequence[ForecastPoint],
    duration: timedelta,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[Window]:
    """Return every window of ``duration`` with the lowest average intensity, earliest first.

    Args:
        points: the forecast, in any order (points must not overlap).
        duration: the job's expected duration.
        start: the earliest start (default: the forecast's start).
        end: the latest end (default: the forecast's end).

    Raises:
        ConfigError: an empty or malformed forecast, a duration of 0 or less,
            a window longer than the search range, or a range the forecast
            does not cover for any start.
    """
    ordered = _check(points)
    if duration.total_seconds() <= 0:
        raise ConfigError("duration", duration, "a duration > 0")
    first = start if start is not None else ordered[0].time
    last = end if end is not None else ordered[-1].end
    if first + duration > last:
        raise ConfigError(
            "duration",
            duration,
            f"at most the search window ({last - first}, from {first} to {last})",
        )
    candidates = [p.time for p in ordered if first <= p.time and p.time + duration <= last]
    if start is not None and start not in candidates and start + duration <= last:
        candidates.insert(0, start)
    now_average = window_average(ordered, first, first + duration)
    windows = []
    for begin in candidates:
        average = window_average(ordered, begin, begin + duration)
        if average is not None:
            windows.append((begin, average))
    if not windows:
        raise ConfigError(
            "forecast",
            f"{len(ordered)} points from {ordered[0].time} to {ordered[-1].end}",
            f"a forecast covering a whole {duration} window between {first} and {last} "
            "(it has gaps there)",
        )
    lowest = min(a for _, a in windows)
    reference = now_average if now_average is not None else windows[0][1]
    return [
        Window(begin, begin + duration, average, _saving(reference, average))
        for begin, average in windows
        if average <= lowest * (1 + _TIE_REL) + 1e-12
    ]


def all_windows(
    points: Sequence[ForecastPoint], duration: timedelta
) -> list[tuple[datetime, float]]:
    """Return ``(start, average)`` of every fully covered window at the forecast's point times."""
    ordered = _check(points)
    out = []
    for point in ordered:
        average = window_average(ordered, point.time, point.time + duration)
        if average is not None:
            out.append((point.time, average))
    return out


def _saving(reference: float, value: float) -> float:
    return 100.0 * (reference - value) / reference if reference > 0 else 0.0

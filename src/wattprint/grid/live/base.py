"""What a live intensity provider returns, and how points become hourly means.

Grid operators and data vendors publish carbon intensity as values that hold
over a span of time: Electricity Maps one value per hour (or per 5 or 15
minutes), the UK NESO API one per half-hour settlement period. An
:class:`IntensityPoint` is one such value with its span ``[start, end)`` in
UTC. Energy, on the other hand, is accumulated per UTC hour by the tracker, so
:func:`hourly_means` turns points into one time-weighted mean per UTC hour.

The small ``json_*`` readers check the shape of a decoded answer and raise
:class:`ProviderError` naming what was wrong, so a provider never fails with a
bare ``KeyError`` or ``TypeError`` on an unexpected answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Literal, Protocol, runtime_checkable

from wattprint.errors import ConfigError, ProviderError
from wattprint.provenance import IntensityBasis

IntensityKind = Literal["average", "marginal"]

HOUR = timedelta(hours=1)


def utc_now() -> datetime:
    """Return the current wall-clock time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class IntensityPoint:
    """A grid carbon intensity valid over one span of time.

    Attributes:
        start: beginning of the span, timezone-aware, UTC (included).
        end: end of the span, timezone-aware, UTC (excluded).
        intensity_g_per_kwh: emissions per kWh over the span. Units: gCO2e/kWh
            (gCO2/kWh for sources that count CO2 only; ``source`` says so).
        kind: ``average`` (the mix of all generation consumed) or
            ``marginal`` (the plant that responds to extra demand).
        is_forecast: the value was predicted rather than observed.
        is_estimated: the provider filled the value in with a model because
            measured data was missing (Electricity Maps' ``isEstimated``).
        source: the provider and the details behind the value, for people,
            e.g. ``Electricity Maps (lifecycle)``.
        basis: ``lifecycle`` (gCO2e over the plants' life cycle) or
            ``direct`` (CO2 burnt at the plants: NESO's figures).
    """

    start: datetime
    end: datetime
    intensity_g_per_kwh: float
    kind: IntensityKind
    is_forecast: bool
    is_estimated: bool
    source: str
    basis: IntensityBasis = "lifecycle"

    @property
    def duration_s(self) -> float:
        """Length of the span. Units: s."""
        return (self.end - self.start).total_seconds()


@runtime_checkable
class LiveProvider(Protocol):
    """A live source of grid carbon intensity for named zones.

    Every method may touch the network (through :mod:`wattprint.net`, with a
    timeout) unless its cache answers, and raises :class:`ProviderError` when
    the provider cannot answer. Callers fall back to shipped averages. A
    provider takes ``transport=`` (a :class:`wattprint.net.Transport`) when
    it is created, so tests answer it in memory.
    """

    name: str

    def latest(self, zone: str) -> IntensityPoint:
        """Return the most recent intensity published for ``zone``."""
        ...

    def history(self, zone: str, start: datetime, end: datetime) -> list[IntensityPoint]:
        """Return points covering ``[start, end)`` (aware datetimes), hourly or finer, sorted."""
        ...

    def forecast(self, zone: str) -> list[IntensityPoint]:
        """Return the intensity expected from now on, sorted by start."""
        ...


def as_utc(name: str, moment: datetime) -> datetime:
    """Return ``moment`` in UTC.

    Raises:
        ConfigError: ``moment`` is naive (it has no timezone).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ConfigError(name, moment, "a timezone-aware datetime (e.g. in UTC)")
    return moment.astimezone(timezone.utc)


def floor_hour(moment: datetime) -> datetime:
    """Return the start of the hour that holds ``moment``."""
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil_hour(moment: datetime) -> datetime:
    """Return ``moment`` if it starts an hour, else the start of the next hour."""
    floor = floor_hour(moment)
    return floor if floor == moment else floor + HOUR


def overlapping(
    points: Iterable[IntensityPoint], start: datetime, end: datetime
) -> list[IntensityPoint]:
    """Return the points whose span meets ``[start, end)``, sorted by start, without repeats."""
    kept = {(p.start, p.end): p for p in points if p.end > start and p.start < end}
    return [kept[key] for key in sorted(kept)]


def hourly_means(
    points: Iterable[IntensityPoint], start: datetime, end: datetime
) -> list[tuple[datetime, float]]:
    """Average intensity points into UTC hours, weighting each by the time it covers.

    For each UTC hour that meets ``[start, end)``, the window is that hour cut
    to ``[start, end)``; its mean is the sum over points of intensity x
    overlap, divided by the total overlap. So two half-hours at 100 and 200
    give 150, and a window from 00:00 to 00:45 over the same points gives
    (30 x 100 + 15 x 200) / 45 = 133.3. An hour that no point covers is left
    out (the caller sees the gap); an hour covered in part is averaged over
    the covered part only. Points are expected not to overlap each other.

    Args:
        points: intensity points, in any order.
        start: beginning of the span, timezone-aware (included).
        end: end of the span, timezone-aware (excluded).

    Returns:
        ``(hour_start_utc, mean_intensity_g_per_kwh)`` pairs in time order.
        Units: gCO2e/kWh.

    Raises:
        ConfigError: ``start`` or ``end`` is naive.
    """
    start = as_utc("start", start)
    end = as_utc("end", end)
    chosen = overlapping(points, start, end)
    means: list[tuple[datetime, float]] = []
    hour = floor_hour(start)
    while hour < end:
        low, high = max(hour, start), min(hour + HOUR, end)
        weighted = covered_s = 0.0
        for point in chosen:
            overlap_s = (min(high, point.end) - max(low, point.start)).total_seconds()
            if overlap_s > 0:
                weighted += overlap_s * point.intensity_g_per_kwh
                covered_s += overlap_s
        if covered_s > 0:
            means.append((hour, weighted / covered_s))
        hour += HOUR
    return means


# -- reading decoded JSON answers ---------------------------------------------


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_object(value: object, what: str) -> Mapping[str, object]:
    """Return ``value`` as a JSON object, or raise :class:`ProviderError` naming ``what``."""
    if not isinstance(value, dict):
        raise ProviderError(f"{what}: expected an object, got {_show(value)}")
    return value


def json_list(value: object, what: str) -> list[object]:
    """Return ``value`` as a JSON array, or raise :class:`ProviderError` naming ``what``."""
    if not isinstance(value, list):
        raise ProviderError(f"{what}: expected a list, got {_show(value)}")
    return value


def json_number(value: object, what: str) -> float:
    """Return ``value`` as a float (JSON number, not a boolean), or raise :class:`ProviderError`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProviderError(f"{what}: expected a number, got {_show(value)}")
    return float(value)


def json_time(value: object, what: str) -> datetime:
    """Parse an ISO 8601 time such as ``2021-10-25T14:00:00.000Z`` into an aware UTC datetime.

    A time without an offset is taken as UTC (both providers publish UTC).

    Raises:
        ProviderError: ``value`` is not such a string.
    """
    if not isinstance(value, str):
        raise ProviderError(f"{what}: expected an ISO 8601 time, got {_show(value)}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as err:
        raise ProviderError(f"{what}: expected an ISO 8601 time, got {_show(value)}") from err
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)

"""The intensity of each hour of a run, and the emissions that follow.

Energy is kept per UTC hour, so each hour can be charged its own intensity:
a live provider's figure for that hour when one is configured (fetched once
per run, cached on disk, falling back to the tables on any failure), else
the country's monthly figure where the shipped table covers that month, else
the plan's annual figure. Emissions are the sum over hours of energy x that
hour's intensity; the summary intensity is their energy-weighted mean.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.intensity import Intensity
from wattprint.grid.live.base import LiveProvider, hourly_means
from wattprint.grid.location import Location
from wattprint.grid.plan import GridPlan, GridTables
from wattprint.impact.hourly import hourly_emissions_kg
from wattprint.settings.resolve import Settings
from wattprint.units import j_to_kwh

logger = logging.getLogger("wattprint")


@dataclass(frozen=True, slots=True)
class Resolved:
    """Emissions of a window of hours, with the intensity summary.

    Attributes:
        emissions_kg: sum over hours of energy x intensity. Units: kg.
        intensity: the energy-weighted mean intensity and its sources.
        notes: what a reader should know (fallbacks, gaps).
    """

    emissions_kg: float
    intensity: Intensity
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _HourValue:
    intensity_g_per_kwh: float
    source: str
    year: int | None


def _utc(hour: int) -> datetime:
    return datetime.fromtimestamp(hour, timezone.utc)


class IntensityTimeline:
    """Give each hour of a run its intensity.

    Args:
        plan: the place and base intensity.
        tables: the shipped tables (for monthly figures).
        provider: a live provider, or None.
        zone: the provider's zone for the place.
        now: the wall clock, UTC.
    """

    def __init__(
        self,
        plan: GridPlan,
        tables: GridTables,
        provider: LiveProvider | None = None,
        zone: str | None = None,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        self.plan = plan
        self._tables = tables
        self._provider = provider
        self._zone = zone
        self._now = now
        self._live: dict[int, float] = {}
        self._failed: str | None = None
        self._notes: list[str] = []

    def _table_value(self, hour: int) -> _HourValue:
        base = self.plan.intensity
        if self.plan.monthly_country:
            moment = _utc(hour)
            row = self._tables.monthly.lookup(self.plan.monthly_country, moment.year, moment.month)
            if row is not None:
                return _HourValue(row.intensity_g_per_kwh, f"{row.source} monthly", row.year)
        return _HourValue(base.intensity_g_per_kwh, base.source, base.year)

    def _fetch(self, hours: Sequence[int]) -> None:
        if self._provider is None or self._zone is None or self._failed is not None:
            return
        missing = [h for h in hours if h not in self._live]
        if not missing:
            return
        start, end = _utc(min(missing)), min(self._now(), _utc(max(missing)) + timedelta(hours=1))
        try:
            if end - start > timedelta(minutes=1):
                points = self._provider.history(self._zone, start, end)
                for moment, value in hourly_means(points, start, end):
                    self._live[int(moment.timestamp())] = value
            current = int(self._now().timestamp()) // 3600 * 3600
            if current in missing and current not in self._live:
                self._live[current] = self._provider.latest(self._zone).intensity_g_per_kwh
        except (ProviderError, ConfigError) as err:
            self._failed = str(err)
            message = (
                f"live intensity from {self._provider.name} failed ({err}); the shipped "
                "tables are used instead"
            )
            logger.warning("wattprint: %s", message)
            self._notes.append(message)

    def _value(self, hour: int) -> _HourValue:
        if self.plan.intensity.source == "set by the user":
            base = self.plan.intensity
            return _HourValue(base.intensity_g_per_kwh, base.source, None)
        if hour in self._live and self._provider is not None:
            return _HourValue(self._live[hour], f"{self._provider.name} live", None)
        return self._table_value(hour)

    def resolve(self, hourly_j: Sequence[tuple[int, float]]) -> Resolved:
        """Return the emissions of energy given per hour, and the intensity summary."""
        hours = [h for h, _ in hourly_j]
        if hours and self.plan.intensity.source != "set by the user":
            self._fetch(hours)
        values = {h: self._value(h) for h in hours}
        energy = {h: j_to_kwh(e) for h, e in hourly_j}
        total = sum(energy.values())
        if not values or total <= 0:
            base = self.plan.intensity
            return Resolved(0.0, base, tuple(self._notes))
        emissions = hourly_emissions_kg(
            energy, {h: v.intensity_g_per_kwh for h, v in values.items()}
        )
        sources: dict[str, float] = {}
        for h, v in values.items():
            sources[v.source] = sources.get(v.source, 0.0) + energy[h]
        years = {v.year for v in values.values() if v.year is not None}
        mean = emissions * 1000 / total
        if len(sources) == 1 and next(iter(sources)) == self.plan.intensity.source:
            summary = Intensity(
                mean,
                self.plan.intensity.source,
                self.plan.intensity.year,
                self.plan.intensity.kind,
                self.plan.intensity.detail,
            )
        else:
            share = "; ".join(f"{s} for {e / total:.0%} of the energy" for s, e in sources.items())
            summary = Intensity(
                mean,
                " + ".join(sources),
                max(years) if years else None,
                "average",
                f"energy-weighted mean {mean:.1f} gCO2e/kWh over {len(values)} hour(s): {share}",
            )
        return Resolved(emissions, summary, tuple(self._notes))


def live_for(
    settings: Settings, location: Location, env: Mapping[str, str]
) -> tuple[LiveProvider | None, str | None]:
    """Return the configured live provider and its zone for ``location``, or (None, None).

    Nothing is fetched here; a provider is configured by ``live_provider=``,
    ``WATTPRINT_LIVE_PROVIDER`` or an Electricity Maps token.

    Raises:
        ConfigError: an unknown provider, or a place the provider does not cover.
    """
    configured = settings.live_provider or settings.electricitymaps_token
    if not configured or settings.force_intensity_g_per_kwh is not None:
        return None, None  # nothing to import or ask
    from wattprint.grid.live.choose import make_provider, zone_for

    merged = dict(env)
    if settings.electricitymaps_token:
        merged["WATTPRINT_ELECTRICITYMAPS_TOKEN"] = settings.electricitymaps_token
    provider = make_provider(provider=settings.live_provider, env=merged)
    if provider is None:
        return None, None
    if settings.force_intensity_g_per_kwh is not None or location.is_world:
        return None, None
    return provider, zone_for(provider.name, location.country_iso2, location.region)

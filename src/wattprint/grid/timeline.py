"""The intensity of each hour of a run, and the emissions that follow.

Energy is kept per UTC hour, so each hour can be charged its own intensity:
a live provider's figure for that hour when one is configured (fetched once
per run, cached on disk, falling back to the tables on any failure), else
the country's monthly figure where the shipped table covers that month, else
the plan's annual figure. The summary intensity is the energy-weighted mean
of the hours'; the emissions (energy x each hour's intensity) are computed by
the caller with :func:`wattprint.impact.hourly.hourly_emissions_kg`, from the
two mappings :class:`Resolved` holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from wattprint._log import logger
from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, ProviderError
from wattprint.grid.basis import basis_label
from wattprint.grid.plan import GridPlan
from wattprint.grid.request import live_for as live_for  # re-exported: it was here first
from wattprint.grid.tables import GridTables
from wattprint.provenance import Intensity, IntensityBasis
from wattprint.units import j_to_kwh

if TYPE_CHECKING:  # the live providers' module loads with a provider
    from wattprint.grid.live.base import LiveProvider


class Resolved(NamedTuple):
    """The intensity of each hour of a window, with their summary.

    Attributes:
        intensity: the energy-weighted mean intensity and its sources.
        energy_kwh_by_hour: the energy of each hour (its UTC start, epoch
            seconds), as given. Units: kWh.
        intensity_g_per_kwh_by_hour: the intensity charged to each of those
            hours. Units: gCO2e/kWh.
        notes: what a reader should know (fallbacks, gaps).
    """

    intensity: Intensity
    energy_kwh_by_hour: Mapping[int, float]
    intensity_g_per_kwh_by_hour: Mapping[int, float]
    notes: tuple[str, ...]


class _HourValue(NamedTuple):  # private: a named tuple costs a seventh of a dataclass
    intensity_g_per_kwh: float
    source: str
    year: int | None
    basis: IntensityBasis


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
        self._live_basis: IntensityBasis = "lifecycle"
        self._failed: str | None = None
        self._notes: list[str] = []

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader should know so far (a live provider's failure)."""
        return tuple(self._notes)

    @property
    def is_live(self) -> bool:
        """True when a live provider and its zone are configured."""
        return self._provider is not None and self._zone is not None

    def _table_value(self, hour: int) -> _HourValue:
        base = self.plan.intensity
        if self.plan.monthly_country:
            moment = _utc(hour)
            row = self._tables.monthly.lookup(self.plan.monthly_country, moment.year, moment.month)
            if row is not None:
                return _HourValue(
                    row.intensity_g_per_kwh, f"{row.source} monthly", row.year, row.basis
                )
        return _HourValue(base.intensity_g_per_kwh, base.source, base.year, base.basis)

    def _fetch(self, hours: Sequence[int]) -> None:
        if self._provider is None or self._zone is None or self._failed is not None:
            return
        missing = [h for h in hours if h not in self._live]
        if not missing:
            return
        from wattprint.grid.live.base import hourly_means

        start, end = _utc(min(missing)), min(self._now(), _utc(max(missing)) + timedelta(hours=1))
        try:
            if end - start > timedelta(minutes=1):
                points = self._provider.history(self._zone, start, end)
                for moment, value in hourly_means(points, start, end):
                    self._live[int(moment.timestamp())] = value
                if points:
                    self._live_basis = points[0].basis
            current = int(self._now().timestamp()) // 3600 * 3600
            if current in missing and current not in self._live:
                point = self._provider.latest(self._zone)
                self._live[current] = point.intensity_g_per_kwh
                self._live_basis = point.basis
        except (ProviderError, ConfigError) as err:
            self._failed = str(err)
            message = (
                f"live intensity from {self._provider.name} failed ({err}); the shipped "
                "tables are used instead"
            )
            logger.warning("wattprint: %s", message)
            self._notes.append(message)

    def latest(self) -> Intensity | None:
        """Ask the live provider for the current intensity, once, and return it.

        Returns None when no live provider is configured, or when it fails:
        then :attr:`notes` says why and the tables' figures stand (nothing
        is logged: the caller shows the note).
        """
        if self._provider is None or self._zone is None or self._failed is not None:
            return None
        try:
            point = self._provider.latest(self._zone)
        except (ProviderError, ConfigError) as err:
            self._failed = str(err)
            self._notes.append(f"live intensity failed ({err}); the table value stands")
            return None
        self._live[int(point.start.timestamp()) // 3600 * 3600] = point.intensity_g_per_kwh
        self._live_basis = point.basis
        return Intensity(
            point.intensity_g_per_kwh,
            point.source,
            point.start.year,
            point.kind,
            f"{self._provider.name} zone {self._zone}, {point.start.isoformat()}, "
            f"{basis_label(point.basis)}",
            point.basis,
        )

    def _value(self, hour: int) -> _HourValue:
        if self.plan.intensity_is_set:
            base = self.plan.intensity
            return _HourValue(base.intensity_g_per_kwh, base.source, None, base.basis)
        if hour in self._live and self._provider is not None:
            return _HourValue(
                self._live[hour], f"{self._provider.name} live", None, self._live_basis
            )
        return self._table_value(hour)

    def known_g_per_kwh(self, hour: int) -> float:
        """Return the intensity of ``hour`` from what is known now, never asking the network.

        A live value already fetched, else the tables' (monthly where they have
        it, else the plan's). Budgets use it at every task boundary. Units: gCO2e/kWh.
        """
        return self._value(hour).intensity_g_per_kwh

    def resolve(self, hourly_j: Sequence[tuple[int, float]]) -> Resolved:
        """Return each hour's intensity for energy given per hour, and their summary.

        Args:
            hourly_j: ``(hour, energy)`` pairs, the hour as its UTC start in
                epoch seconds, the energy in J used in it (a delta).
        """
        hours = [h for h, _ in hourly_j]
        if hours and not self.plan.intensity_is_set:
            self._fetch(hours)
        values = {h: self._value(h) for h in hours}
        energy = {h: j_to_kwh(e) for h, e in hourly_j}
        total = sum(energy.values())
        if not values or total <= 0:
            return Resolved(self.plan.intensity, {}, {}, tuple(self._notes))
        by_hour = {h: v.intensity_g_per_kwh for h, v in values.items()}
        sources: dict[str, float] = {}
        for h, v in values.items():
            sources[v.source] = sources.get(v.source, 0.0) + energy[h]
        years = {v.year for v in values.values() if v.year is not None}
        mean = sum(e * by_hour[h] for h, e in energy.items()) / total
        if len(sources) == 1 and next(iter(sources)) == self.plan.intensity.source:
            summary = Intensity(
                mean,
                self.plan.intensity.source,
                self.plan.intensity.year,
                self.plan.intensity.kind,
                self.plan.intensity.detail,
                self.plan.intensity.basis,
            )
        else:
            bases: dict[IntensityBasis, float] = {}
            for h, v in values.items():
                bases[v.basis] = bases.get(v.basis, 0.0) + energy[h]
            basis = max(bases, key=lambda b: bases[b])
            share = "; ".join(f"{s} for {e / total:.0%} of the energy" for s, e in sources.items())
            mixed = (
                ""
                if len(bases) == 1
                else "; mixed bases: "
                + ", ".join(f"{b} for {e / total:.0%}" for b, e in sorted(bases.items()))
            )
            summary = Intensity(
                mean,
                " + ".join(sources),
                max(years) if years else None,
                "average",
                f"energy-weighted mean {mean:.1f} g/kWh over {len(values)} hour(s), "
                f"{basis_label(basis)}: {share}{mixed}",
                basis,
            )
        return Resolved(summary, energy, by_hour, tuple(self._notes))

"""One run of a report: its raw inputs, and the figures derived from them.

Component energies, PUE, intensity, WUE, grid water, hardware and functional
units are the inputs; facility energy, emissions, water, embodied share and
SCI are derived from them with :mod:`wattprint.impact`, so that ``wattprint
verify`` can derive them again from the report alone. The grid water
intensity is not recorded by the tracker, only used: it is implied here by
the run's water figure, WUE and PUE.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from wattprint.impact.carbon import emissions_kg, facility_energy_kwh
from wattprint.impact.sci import Sci, sci
from wattprint.impact.uncertainty import INTENSITY_BANDS, POLLED_INTERVAL_S, band_of
from wattprint.impact.water import water_l
from wattprint.records.record import HostRecord, PlaceRecord, RunRecord, SeriesPoint
from wattprint.report.embodied import EmbodiedLine, embodied_of


@dataclass(frozen=True, slots=True)
class RunInputs:
    """The raw figures of a run, from which its other figures are derived.

    Attributes:
        cpu_energy_kwh: CPU IT energy (before PUE); None when unknown. Units: kWh.
        gpu_energy_kwh: GPU IT energy. Units: kWh.
        ram_energy_kwh: memory IT energy. Units: kWh.
        pue: the PUE applied (1.0 and ``pue_assumed`` when the file gives none).
        pue_assumed: True when the file gave no PUE.
        intensity_g_per_kwh: energy-weighted mean intensity. Units: gCO2e/kWh.
        intensity_source: its source; None when unknown.
        intensity_year: the year it describes.
        intensity_kind: ``average`` or ``marginal``.
        intensity_implied: True when implied by the file's emissions over energy.
        wue_l_per_kwh: on-site water per kWh of IT energy. Units: L/kWh.
        grid_water_l_per_kwh: water consumed by the power plants per kWh,
            implied by the run's water figure. Units: L/kWh.
        units: functional units of work done (SCI's R); None when not declared.
        unit: the functional unit's name.
    """

    cpu_energy_kwh: float | None
    gpu_energy_kwh: float | None
    ram_energy_kwh: float | None
    pue: float
    pue_assumed: bool
    intensity_g_per_kwh: float | None
    intensity_source: str | None
    intensity_year: int | None
    intensity_kind: str | None
    intensity_implied: bool
    wue_l_per_kwh: float | None
    grid_water_l_per_kwh: float | None
    units: float | None
    unit: str | None


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the file itself recorded, for comparison. Units: kWh, kg, L."""

    energy_kwh: float | None
    emissions_kg: float | None
    water_l: float | None


@dataclass(frozen=True, slots=True)
class RunLine:
    """One run of the report: identity, raw inputs and derived figures.

    Attributes:
        counted: True when the run's energy and emissions are known and it is
            in the totals.
        it_energy_kwh: sum of the known component energies. Units: kWh.
        energy_kwh: IT energy x PUE. Units: kWh.
        emissions_kg: energy x intensity; None when the intensity is unknown.
        water_l: recomputed when ``inputs.grid_water_l_per_kwh`` is known,
            else as recorded. Units: L.
        embodied: the run's share of the hardware's embodied emissions.
        sci: per functional unit, when the run declares units.
        energy_kwh_low: low bound of ``energy_kwh`` (see :func:`ranges_from`). Units: kWh.
        energy_kwh_high: high bound of ``energy_kwh``. Units: kWh.
        emissions_kg_low: low bound of ``emissions_kg``. Units: kg CO2e.
        emissions_kg_high: high bound of ``emissions_kg``. Units: kg CO2e.
    """

    run_id: str | None
    project: str | None
    experiment: str | None
    run_group: str | None
    status: str | None
    mode: str | None
    tool: str
    origin: str
    started_at: str | None
    ended_at: str | None
    duration_s: float | None
    place: PlaceRecord
    host: HostRecord
    inputs: RunInputs
    counted: bool
    it_energy_kwh: float | None
    energy_kwh: float | None
    emissions_kg: float | None
    water_l: float | None
    recorded: Recorded
    embodied: EmbodiedLine | None
    sci: Sci | None
    unknown: tuple[str, ...]
    series: tuple[SeriesPoint, ...]
    energy_kwh_low: float | None = None
    energy_kwh_high: float | None = None
    emissions_kg_low: float | None = None
    emissions_kg_high: float | None = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def line_figures(
    energies: Sequence[float | None],
    pue: float,
    intensity_g_per_kwh: float | None,
    water_l_recorded: float | None,
    wue_l_per_kwh: float | None,
    water_implied: bool,
) -> tuple[float | None, float | None, float | None, float | None, float | None]:
    """Return a run's IT energy, energy, emissions, grid water intensity and water.

    The one place a run's derived figures are computed, for its report line
    and for a run counted straight from its row (:mod:`wattprint.report.counting`).

    Args:
        energies: IT energy of each component; None when unknown. Units: kWh.
        pue: the PUE applied (1.0 when the file gives none).
        intensity_g_per_kwh: the run's mean intensity. Units: gCO2e/kWh.
        water_l_recorded: the water the file recorded. Units: L.
        wue_l_per_kwh: on-site water per kWh of IT energy. Units: L/kWh.
        water_implied: False when the file's water figure does not imply a
            grid water intensity (CodeCarbon's, on site only).

    Returns:
        IT energy (kWh), facility energy (kWh), emissions (kg CO2e), the
        grid water intensity implied by the water figure (L/kWh) and the
        water (L, recomputed when that intensity is known, else as
        recorded); None where unknown.
    """
    known = [e for e in energies if e is not None] if None in energies else energies
    it_kwh = math.fsum(known) if known else None  # type: ignore[arg-type]
    grid_water = None
    it = it_kwh or 0.0
    if water_implied and water_l_recorded is not None and it > 0:
        if wue_l_per_kwh is not None and pue > 0:
            grid_water = max((water_l_recorded / it - wue_l_per_kwh) / pue, 0.0)
    energy = facility_energy_kwh(it_kwh, pue) if it_kwh is not None else None
    emissions = (
        emissions_kg(energy, intensity_g_per_kwh)
        if energy is not None and intensity_g_per_kwh is not None
        else None
    )
    water = water_l_recorded
    if grid_water is not None and it_kwh is not None and wue_l_per_kwh is not None:
        water = water_l(
            it_kwh, pue=pue, wue_l_per_kwh=wue_l_per_kwh, grid_water_l_per_kwh=grid_water
        )
    return it_kwh, energy, emissions, grid_water, water


_AVERAGE = INTENSITY_BANDS["average"]


def ranges_from(
    energy_kwh: float | None,
    emissions: float | None,
    pue: float,
    recorded: Sequence[float | None],
    energies: Sequence[float | None],
    bands: Sequence[tuple[float, float]],
) -> tuple[float | None, float | None, float | None, float | None]:
    """Return the low and high bounds of a run's energy and emissions.

    A run that recorded its bounds keeps their ratios to its recorded
    figures; any other (older files, CodeCarbon's) gets them from its
    components' bands and the band of an average intensity, by the interval
    arithmetic of :mod:`wattprint.impact.uncertainty` (``it_energy_interval``,
    ``facility_energy_interval``, ``emissions_interval``) done on the bounds
    as plain numbers, so a report of many runs makes no object per run (a
    test keeps the two equal).

    Args:
        energy_kwh: the run's facility energy. Units: kWh.
        emissions: its emissions. Units: kg CO2e.
        pue: the PUE applied.
        recorded: the file's energy, its low and high bounds, emissions and
            their low and high bounds (kWh, kg CO2e); None where not recorded.
        energies: IT energy of each component; None when unknown. Units: kWh.
        bands: the low and high factors of each component's band (its method's).

    Returns:
        Energy low and high (kWh), emissions low and high (kg CO2e); None
        where the figure is unknown.
    """
    if energy_kwh is None:
        return None, None, None, None
    energy_rec, energy_low_rec, energy_high_rec, emissions_rec, low_rec, high_rec = recorded
    # A recorded bound is scaled to the figure (value x bound / recorded) when the
    # recorded figure is above zero and both bounds are known.
    if energy_rec is not None and energy_rec > 0 and None not in (energy_low_rec, energy_high_rec):
        low = energy_kwh * energy_low_rec / energy_rec  # type: ignore[operator]
        high = energy_kwh * energy_high_rec / energy_rec  # type: ignore[operator]
    else:
        low = high = 0.0  # Interval.exact(0.0), then + band.of(energy) for each known one
        for energy, (low_factor, high_factor) in zip(energies, bands, strict=True):
            if energy is not None:
                low = low + energy * low_factor
                high = high + energy * high_factor
        low, high = low * pue, high * pue
    if emissions is None:
        return low, high, None, None
    if emissions_rec is not None and emissions_rec > 0 and None not in (low_rec, high_rec):
        emissions_low = emissions * low_rec / emissions_rec  # type: ignore[operator]
        return low, high, emissions_low, emissions * high_rec / emissions_rec  # type: ignore[operator]
    if energy_kwh <= 0:
        return low, high, emissions, emissions
    return (
        low,
        high,
        emissions * low / energy_kwh * _AVERAGE.low_factor,
        emissions * high / energy_kwh * _AVERAGE.high_factor,
    )


def bands_of(record: RunRecord) -> tuple[tuple[float, float], ...]:
    """Return the low and high factors of the band of each component's energy (the record's order).

    The band is the component's method's (a method the file does not name:
    the widest band), over the run's duration (:func:`wattprint.impact.uncertainty.band_of`).
    """
    return tuple(
        fixed_band(method) or polled_band(method, record.duration_s or 0.0)
        for method in (c.method or "unknown" for c in record.components)
    )


@functools.lru_cache(maxsize=64)
def fixed_band(method: str) -> tuple[float, float] | None:
    """Return the low and high factors of the band of ``method``; None when it is polled.

    A polled method's band widens with its sampling over the run's duration
    (:func:`polled_band`); any other's is the same for every run.
    """
    if any(part in POLLED_INTERVAL_S for part in method.split("+")):
        return None
    return polled_band(method, 0.0)


def polled_band(method: str, duration_s: float) -> tuple[float, float]:
    """Return the low and high factors of the band of ``method`` over ``duration_s`` seconds."""
    band = band_of(method, duration_s)
    return band.low_factor, band.high_factor


def recorded_bounds(record: RunRecord) -> tuple[float | None, ...]:
    """Return the record's energy, emissions and their bounds, as :func:`ranges_from` takes them."""
    return (
        record.energy_kwh,
        record.energy_kwh_low,
        record.energy_kwh_high,
        record.emissions_kg,
        record.emissions_kg_low,
        record.emissions_kg_high,
    )


def run_line(record: RunRecord) -> RunLine:
    """Return the report line of one run: its inputs and the figures derived from them."""
    energies = {c.component: c.it_energy_kwh for c in record.components}
    pue = record.pue if record.pue is not None and record.pue > 0 else 1.0
    intensity = record.intensity.g_per_kwh
    it_kwh, energy, emissions, grid_water, water = line_figures(
        tuple(energies.values()),
        pue,
        intensity,
        record.water_l,
        record.wue_l_per_kwh,
        record.format != "codecarbon-csv",
    )
    inputs = RunInputs(
        cpu_energy_kwh=energies.get("cpu"),
        gpu_energy_kwh=energies.get("gpu"),
        ram_energy_kwh=energies.get("ram"),
        pue=pue,
        pue_assumed=record.pue is None,
        intensity_g_per_kwh=intensity,
        intensity_source=record.intensity.source,
        intensity_year=record.intensity.year,
        intensity_kind=record.intensity.kind,
        intensity_implied=record.intensity.implied,
        wue_l_per_kwh=record.wue_l_per_kwh,
        grid_water_l_per_kwh=grid_water,
        units=record.units,
        unit=(record.unit or "unit") if record.units else None,
    )
    embodied = embodied_of(record)
    energy_low, energy_high, emissions_low, emissions_high = ranges_from(
        energy,
        emissions,
        pue,
        recorded_bounds(record),
        tuple(c.it_energy_kwh for c in record.components),
        bands_of(record),
    )
    score = None
    if inputs.units and energy is not None and intensity is not None:
        score = sci(
            energy_kwh=energy,
            intensity_g_per_kwh=intensity,
            embodied_kg=embodied.embodied_kg if embodied is not None else 0.0,
            water_l=water or 0.0,
            units=inputs.units,
            unit=inputs.unit or "unit",
        )
    return RunLine(
        run_id=record.run_id,
        project=record.project,
        experiment=record.experiment,
        run_group=record.run_group,
        status=record.status,
        mode=record.mode,
        tool=record.tool,
        origin=record.origin,
        started_at=_iso(record.started_at),
        ended_at=_iso(record.ended_at),
        duration_s=record.duration_s,
        place=record.place,
        host=record.host,
        inputs=inputs,
        counted=energy is not None and emissions is not None,
        it_energy_kwh=it_kwh,
        energy_kwh=energy,
        emissions_kg=emissions,
        water_l=water,
        recorded=Recorded(record.energy_kwh, record.emissions_kg, record.water_l),
        embodied=embodied,
        sci=score,
        unknown=record.unknown,
        series=record.series,
        energy_kwh_low=energy_low,
        energy_kwh_high=energy_high,
        emissions_kg_low=emissions_low,
        emissions_kg_high=emissions_high,
    )

"""One run of a report: its raw inputs, and the figures derived from them.

Component energies, PUE, intensity, WUE, grid water, hardware and functional
units are the inputs; facility energy, emissions, water, embodied share and
SCI are derived from them with :mod:`wattprint.impact`, so that ``wattprint
verify`` can derive them again from the report alone. The grid water
intensity is not recorded by the tracker, only used: it is implied here by
the run's water figure, WUE and PUE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from wattprint.impact.carbon import emissions_kg, facility_energy_kwh
from wattprint.impact.sci import Sci, sci
from wattprint.impact.uncertainty import (
    INTENSITY_BANDS,
    Interval,
    band_of,
    emissions_interval,
    it_energy_interval,
)
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
        energy_kwh_low: low bound of ``energy_kwh`` (see :func:`ranges_of`). Units: kWh.
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


def _grid_water(record: RunRecord, it_kwh: float, pue: float) -> float | None:
    """Return the grid water intensity implied by a wattprint run's water figure."""
    if record.format == "codecarbon-csv" or record.water_l is None or it_kwh <= 0:
        return None
    if record.wue_l_per_kwh is None or pue <= 0:
        return None
    implied = (record.water_l / it_kwh - record.wue_l_per_kwh) / pue
    return max(implied, 0.0)


def _scaled(value: float, recorded: float | None, bound: float | None) -> float | None:
    if recorded is None or bound is None or recorded <= 0:
        return None
    return value * bound / recorded


def ranges_of(
    record: RunRecord, energy_kwh: float | None, emissions: float | None, pue: float
) -> tuple[Interval | None, Interval | None]:
    """Return the ranges of a run's energy and emissions, as the report derives them.

    A run that recorded its bounds keeps their ratios to its recorded figures;
    any other (older files, CodeCarbon's) gets them from its components'
    methods (a method the file does not name: the widest band) and the band
    of an average intensity (:mod:`wattprint.impact.uncertainty`).
    """
    if energy_kwh is None:
        return None, None
    low = _scaled(energy_kwh, record.energy_kwh, record.energy_kwh_low)
    high = _scaled(energy_kwh, record.energy_kwh, record.energy_kwh_high)
    if low is not None and high is not None:
        energy = Interval(low, energy_kwh, high)
    else:
        parts = [
            (c.it_energy_kwh, band_of(c.method or "unknown", record.duration_s or 0.0))
            for c in record.components
            if c.it_energy_kwh is not None
        ]
        energy = it_energy_interval(parts).scaled(pue)
        energy = Interval(energy.low, energy_kwh, energy.high)
    if emissions is None:
        return energy, None
    low = _scaled(emissions, record.emissions_kg, record.emissions_kg_low)
    high = _scaled(emissions, record.emissions_kg, record.emissions_kg_high)
    if low is not None and high is not None:
        return energy, Interval(low, emissions, high)
    return energy, emissions_interval(energy, INTENSITY_BANDS["average"], emissions)


def run_line(record: RunRecord) -> RunLine:
    """Return the report line of one run: its inputs and the figures derived from them."""
    energies = {c.component: c.it_energy_kwh for c in record.components}
    known = [e for e in energies.values() if e is not None]
    it_kwh = math.fsum(known) if known else None
    pue = record.pue if record.pue is not None and record.pue > 0 else 1.0
    intensity = record.intensity.g_per_kwh
    grid_water = _grid_water(record, it_kwh or 0.0, pue)
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
    energy = facility_energy_kwh(it_kwh, pue) if it_kwh is not None else None
    emissions = (
        emissions_kg(energy, intensity) if energy is not None and intensity is not None else None
    )
    water = record.water_l
    if grid_water is not None and it_kwh is not None and record.wue_l_per_kwh is not None:
        water = water_l(
            it_kwh, pue=pue, wue_l_per_kwh=record.wue_l_per_kwh, grid_water_l_per_kwh=grid_water
        )
    embodied = embodied_of(record)
    energy_range, emissions_range = ranges_of(record, energy, emissions, pue)
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
        energy_kwh_low=energy_range.low if energy_range else None,
        energy_kwh_high=energy_range.high if energy_range else None,
        emissions_kg_low=emissions_range.low if emissions_range else None,
        emissions_kg_high=emissions_range.high if emissions_range else None,
    )

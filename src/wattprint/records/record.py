"""The run record every input file is read into, whatever its form.

wattprint's JSON lines say everything about a run; its ``emissions.csv`` a
little less (no per-component provenance flags, no tasks); CodeCarbon's files
less again (no intensity, no methods, in v2.4 no water). A field a file does
not give is ``None`` here, and its name is listed in ``RunRecord.unknown``, so
a report can say "unknown" rather than print a made-up zero.

Energies per component are IT energy (before PUE); ``energy_kwh`` is the
facility energy the file recorded (IT energy x PUE). Units: kWh, W, s, kg,
gCO2e/kWh, L, GB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

InputFormat = Literal["wattprint-jsonl", "wattprint-csv", "codecarbon-csv"]
"""What kind of file a record came from."""

COMPONENTS: tuple[str, ...] = ("cpu", "gpu", "ram")
"""The components a run's energy is split into, in report order."""


@dataclass(frozen=True, slots=True)
class ComponentRecord:
    """One component's energy and how it was obtained.

    Attributes:
        component: ``cpu``, ``gpu`` or ``ram``.
        it_energy_kwh: IT energy of the run, before PUE; None when unknown. Units: kWh.
        power_w: mean power over the run; None when unknown. Units: W.
        method: e.g. ``rapl``, ``tdp-x-load``, ``none``; None when the file does not say.
        measured: True for a hardware counter, False for a model; None when unknown.
        detail: the method's inputs, for people ("" when unknown).
        attribution: how the machine's energy was shared out to the run.
    """

    component: str
    it_energy_kwh: float | None
    power_w: float | None
    method: str | None
    measured: bool | None
    detail: str = ""
    attribution: str = ""


@dataclass(frozen=True, slots=True)
class IntensityRecord:
    """The grid intensity a run used, and where it came from.

    Attributes:
        g_per_kwh: energy-weighted mean intensity; None when unknown. Units: gCO2e/kWh.
        source: the data set or party; None when the file does not say.
        year: the year the figure describes, if known.
        kind: ``average`` or ``marginal``; None when unknown.
        detail: one sentence for people.
        implied: True when the figure is not recorded but implied by the
            file's emissions over its energy (CodeCarbon's files).
        basis: ``lifecycle`` or ``direct``; None when the file does not say
            (CodeCarbon's files, wattprint CSV files written before the column).
    """

    g_per_kwh: float | None
    source: str | None
    year: int | None
    kind: str | None
    detail: str = ""
    implied: bool = False
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class PlaceRecord:
    """Where the run's electricity came from, as far as the file says."""

    country_iso3: str | None
    country_name: str | None
    region: str | None
    cloud_provider: str | None
    cloud_region: str | None
    how: str | None


@dataclass(frozen=True, slots=True)
class HostRecord:
    """The machine, as far as the file says.

    Attributes:
        hostname: the host name; None when unknown.
        os: platform string.
        python_version: e.g. ``3.11.7``.
        cpu_model: CPU brand string.
        cpu_count: logical CPUs.
        gpu_count: GPUs tracked.
        gpu_model: their model names.
        ram_total_gb: installed memory. Units: GB (10^9 bytes).
    """

    hostname: str | None
    os: str | None
    python_version: str | None
    cpu_model: str | None
    cpu_count: int | None
    gpu_count: int | None
    gpu_model: str | None
    ram_total_gb: float | None


@dataclass(frozen=True, slots=True)
class TaskRecord:
    """One named task of a run, as recorded.

    Attributes:
        name: the task's name.
        duration_s: Units: s.
        energy_kwh: facility energy of the task (IT energy x PUE). Units: kWh.
        it_energy_kwh: per component, IT energy. Units: kWh.
        emissions_kg: Units: kg CO2e.
        intensity_g_per_kwh: energy-weighted mean intensity. Units: gCO2e/kWh.
        water_l: Units: L.
    """

    name: str
    duration_s: float | None
    energy_kwh: float | None
    it_energy_kwh: tuple[tuple[str, float], ...]
    emissions_kg: float | None
    intensity_g_per_kwh: float | None
    water_l: float | None


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """Mean power per component at one moment of a run.

    Attributes:
        elapsed_s: seconds since the run started. Units: s.
        power_w: ``(component, power)`` pairs. Units: W.
    """

    elapsed_s: float
    power_w: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run read from a file, with what the file does not say left unknown.

    Attributes:
        origin: ``path:line`` of the record.
        format: the kind of file.
        tool: what wrote it, e.g. ``wattprint 0.4.0`` or ``CodeCarbon 2.4.3rc1``.
        run_id: the run's id; None when the file leaves it empty.
        project: the project name.
        experiment: the experiment name or id.
        run_group: the id shared by the ranks of a multi-process job, if any.
        status: ``completed``, ``interrupted``, ``crashed`` or ``running``.
        mode: ``process`` or ``machine``.
        started_at: start time (timezone-aware when the file says so).
        ended_at: end time (CodeCarbon's ``timestamp``: local, no time zone).
        duration_s: Units: s.
        components: cpu, gpu, ram, in that order.
        energy_kwh: facility energy recorded. Units: kWh.
        emissions_kg: emissions recorded. Units: kg CO2e.
        energy_kwh_low: low bound of ``energy_kwh``; None when not recorded. Units: kWh.
        energy_kwh_high: high bound of ``energy_kwh``; None when not recorded. Units: kWh.
        emissions_kg_low: low bound of ``emissions_kg``; None when not recorded. Units: kg.
        emissions_kg_high: high bound of ``emissions_kg``; None when not recorded. Units: kg.
        intensity: the grid intensity and its provenance.
        water_l: water recorded. Units: L.
        pue: power usage effectiveness applied.
        pue_source: where the PUE came from.
        wue_l_per_kwh: on-site water per kWh of IT energy. Units: L/kWh.
        water_detail: how the water figure was obtained.
        water_source: the grid water data set the run used, as recorded with
            it; None when the file does not say (CSV files, CodeCarbon's).
        water_year: the year of that data set, when recorded.
        place: where the electricity came from.
        host: the machine.
        tasks: the run's tasks.
        embodied_kg: the embodied share the tracker recorded; None when the
            file has none (older files, CodeCarbon's). Units: kg CO2e.
        embodied_detail: how the tracker obtained it.
        units: functional units of work done (SCI's R); None when not declared.
        unit: the functional unit's name.
        notes: what the tracker wanted a reader to know.
        unknown: names of the fields the file does not give.
        series: power over time, when the record carries it.
    """

    origin: str
    format: InputFormat
    tool: str
    run_id: str | None
    project: str | None
    experiment: str | None
    run_group: str | None
    status: str | None
    mode: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    components: tuple[ComponentRecord, ...]
    energy_kwh: float | None
    emissions_kg: float | None
    intensity: IntensityRecord
    water_l: float | None
    pue: float | None
    pue_source: str | None
    wue_l_per_kwh: float | None
    water_detail: str | None
    place: PlaceRecord
    host: HostRecord
    tasks: tuple[TaskRecord, ...] = ()
    water_source: str | None = None
    water_year: int | None = None
    embodied_kg: float | None = None
    embodied_detail: str | None = None
    units: float | None = None
    unit: str | None = None
    notes: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()
    series: tuple[SeriesPoint, ...] = ()
    energy_kwh_low: float | None = None
    energy_kwh_high: float | None = None
    emissions_kg_low: float | None = None
    emissions_kg_high: float | None = None

    def component(self, name: str) -> ComponentRecord | None:
        """Return the record of component ``name``, if the run has one."""
        return next((c for c in self.components if c.component == name), None)

"""What a run or a task cost, and how each figure was obtained.

Results are immutable. Energies are given in kWh and emissions in kg, the
units people read; the methodology says, per component, whether the figure
was measured by a counter or estimated by a model, and from which inputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from wattprint._record import record
from wattprint.provenance import Component, Intensity, Location
from wattprint.settings.schema import Mode as Mode  # declared once, with the settings

Status = Literal["running", "completed", "interrupted", "crashed", "budget_exceeded"]


@record(frozen=True, slots=True)
class ComponentMethod:
    """How one component's energy was obtained.

    Attributes:
        component: ``cpu``, ``gpu`` or ``ram``.
        method: e.g. ``rapl``, ``tdp-x-load``, ``gb-x-w-per-gb``, ``constant``, ``none``.
        measured: True for a hardware counter, False for a model or a set value.
        detail: the inputs: domains read, the matched CPU and its TDP, ...
        attribution: how the machine's energy was shared out to the run.
    """

    component: Component
    method: str
    measured: bool
    detail: str
    attribution: str


@record(frozen=True, slots=True)
class Methodology:
    """How every number of a result was obtained.

    Attributes:
        components: one entry per component, in the order cpu, gpu, ram.
        intensity: the grid intensity used and its source, year and kind.
        location: how the place was found.
        pue_source: where the PUE comes from.
        water: how the water figure was obtained (grid water intensity, WUE).
        embodied: how the embodied share was obtained (parts, lifetime, share).
        notes: anything else a reader should know (gaps, failures, limits).
    """

    components: tuple[ComponentMethod, ...]
    intensity: Intensity
    location: Location
    pue_source: str = ""
    water: str = ""
    embodied: str = ""
    notes: tuple[str, ...] = ()

    def component(self, name: Component) -> ComponentMethod | None:
        """Return the method of component ``name``, if it was tracked."""
        return next((c for c in self.components if c.component == name), None)


@record(frozen=True, slots=True)
class Host:
    """The machine the run was on (the fields CodeCarbon's CSV reports).

    Attributes:
        os: platform string.
        python_version: e.g. ``3.11.7``.
        cpu_model: CPU brand string.
        cpu_count: logical CPUs of the machine.
        gpu_count: GPUs tracked.
        gpu_model: their model names, if any.
        ram_total_bytes: installed memory. Units: bytes.
        hostname: the machine's host name.
    """

    os: str
    python_version: str
    cpu_model: str
    cpu_count: int
    gpu_count: int
    gpu_model: str
    ram_total_bytes: int
    hostname: str = ""


@record(frozen=True, slots=True)
class PowerPoint:
    """Mean power attributed to the run over one sampling interval.

    Attributes:
        elapsed_s: time since the run started, at the interval's end. Units: s.
        cpu_power_w: CPU power. Units: W.
        gpu_power_w: GPU power. Units: W.
        ram_power_w: memory power. Units: W.
    """

    elapsed_s: float
    cpu_power_w: float
    gpu_power_w: float
    ram_power_w: float


@record(frozen=True, slots=True, kw_only=True)
class Footprint:
    """Fields shared by a run's and a task's result.

    Energies are IT energy per component; ``energy_kwh`` is their sum times the
    PUE; emissions are ``energy_kwh`` times the intensity of each hour, and
    ``intensity_g_per_kwh`` their energy-weighted mean; ``water_l`` is the
    water consumed on site and at the power plants. Units: kWh, W, kg,
    gCO2e/kWh, L.

    The ``*_low`` / ``*_high`` fields bound ``energy_kwh``, ``emissions_kg``
    and ``water_l`` (:mod:`wattprint.impact.uncertainty`); None in records
    written before they existed.
    """

    run_id: str
    project: str
    experiment: str
    started_at: datetime
    ended_at: datetime
    duration_s: float
    energy_kwh: float
    cpu_energy_kwh: float
    gpu_energy_kwh: float
    ram_energy_kwh: float
    cpu_power_w: float
    gpu_power_w: float
    ram_power_w: float
    emissions_kg: float
    intensity_g_per_kwh: float
    water_l: float
    location: Location
    status: Status
    methodology: Methodology
    cpu_utilization_percent: float
    ram_used_bytes: float
    energy_kwh_low: float | None = None
    energy_kwh_high: float | None = None
    emissions_kg_low: float | None = None
    emissions_kg_high: float | None = None
    water_l_low: float | None = None
    water_l_high: float | None = None

    @property
    def emissions_rate_kg_per_s(self) -> float:
        """Mean emissions per second of the run. Units: kg/s."""
        return self.emissions_kg / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def measured_share(self) -> float:
        """Fraction of the IT energy that came from hardware counters (0..1)."""
        total = self.cpu_energy_kwh + self.gpu_energy_kwh + self.ram_energy_kwh
        if total <= 0:
            return 0.0
        by = {"cpu": self.cpu_energy_kwh, "gpu": self.gpu_energy_kwh, "ram": self.ram_energy_kwh}
        measured = sum(by.get(c.component, 0.0) for c in self.methodology.components if c.measured)
        return measured / total


@record(frozen=True, slots=True, kw_only=True)
class TaskResult(Footprint):
    """What one named task within a run cost.

    Attributes:
        name: the task's name.
    """

    name: str


@record(frozen=True, slots=True, kw_only=True)
class RunResult(Footprint):
    """What a whole run cost.

    Attributes:
        mode: ``process`` (the tracked process tree's share) or ``machine``.
        pue: the power usage effectiveness applied.
        wue_l_per_kwh: the on-site water usage effectiveness applied. Units: L/kWh.
        host: the machine it ran on.
        ram_utilization_percent: machine memory in use, mean over the run. Units: %.
        tasks: the tasks that ended during the run, in the order they ended.
        units: functional units of work done (SCI's R), 0 when none declared.
        unit: the name of the functional unit, e.g. ``inference``.
        run_group: the id shared by the ranks of a multi-process job, if any.
        rank: this process's global rank in the group, if any.
        local_rank: its rank among the group's processes on this host, if any.
        embodied_kg: the run's share of the hardware's manufacturing emissions
            (GSF SCI: total x duration / lifetime x share reserved). Units: kg CO2e.
        embodied_kg_low: its low bound; None in older records. Units: kg CO2e.
        embodied_kg_high: its high bound; None in older records. Units: kg CO2e.
        sci_g_per_unit: Software Carbon Intensity, (E x I + M) per unit, when
            units were counted. Units: g CO2e per unit.
        series: power over time (at most a few hundred points; long runs are
            averaged over wider intervals).
    """

    mode: Mode
    pue: float
    wue_l_per_kwh: float
    host: Host
    ram_utilization_percent: float
    tasks: tuple[TaskResult, ...] = ()
    units: float = 0.0
    unit: str = ""
    run_group: str = ""
    rank: int | None = None
    local_rank: int | None = None
    embodied_kg: float = 0.0
    embodied_kg_low: float | None = None
    embodied_kg_high: float | None = None
    sci_g_per_unit: float | None = None
    series: tuple[PowerPoint, ...] = ()

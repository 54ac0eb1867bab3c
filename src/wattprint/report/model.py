"""The report as data: every figure a renderer shows, with its inputs beside it.

Each run keeps its raw inputs (IT energy per component, PUE, intensity, WUE,
grid water, hardware, functional units) apart from the figures derived from
them with :mod:`wattprint.impact` (facility energy, emissions, water,
embodied share, SCI), so a reader, or ``wattprint verify``, can recompute
every derived figure from the report alone. A run is *counted* in the totals
when its energy and emissions are known; the others are listed, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wattprint.advice.whatif import WhatIf
from wattprint.impact.equivalents import Equivalent
from wattprint.impact.sci import Sci
from wattprint.report.runs import RunLine
from wattprint.report.sources import MethodologyLine, SourceLine

REPORT_SCHEMA = "wattprint.report/1"
"""Name and version of the report's data form."""

ScopeKind = Literal["run", "runs", "project", "group"]

RUNS_LISTED = 1000
"""The most runs a report lists one by one; every run is counted in its totals."""


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file the report was made from.

    Attributes:
        path: as given.
        sha256: hex digest of its bytes, so the inputs can be matched later.
        runs: how many runs of the report come from it.
    """

    path: str
    sha256: str
    runs: int


@dataclass(frozen=True, slots=True)
class Scope:
    """What the report covers: one run, some runs, a project or a run group."""

    kind: ScopeKind
    run_id: str | None
    project: str | None
    group: str | None
    inputs: tuple[InputFile, ...]


@dataclass(frozen=True, slots=True)
class Totals:
    """The counted runs together. Units: s, kWh, kg CO2e, gCO2e/kWh, L.

    Attributes:
        runs: runs in the report.
        runs_counted: runs in these totals.
        intensity_g_per_kwh: emissions / energy, the energy-weighted mean.
        water_l: None when no counted run has a water figure.
        embodied_kg: None when no counted run has an embodied estimate.
        total_kg: operational plus embodied emissions.
        energy_kwh_low: the sum of the counted runs' low bounds (intervals add). Units: kWh.
        energy_kwh_high: the sum of their high bounds. Units: kWh.
        emissions_kg_low: the sum of their low bounds. Units: kg CO2e.
        emissions_kg_high: the sum of their high bounds. Units: kg CO2e.
    """

    runs: int
    runs_counted: int
    duration_s: float
    it_energy_kwh: float
    energy_kwh: float
    emissions_kg: float
    intensity_g_per_kwh: float | None
    water_l: float | None
    embodied_kg: float | None
    total_kg: float
    first_started_at: str | None
    last_ended_at: str | None
    energy_kwh_low: float | None = None
    energy_kwh_high: float | None = None
    emissions_kg_low: float | None = None
    emissions_kg_high: float | None = None


@dataclass(frozen=True, slots=True)
class ComponentLine:
    """One component over the counted runs.

    Attributes:
        it_energy_kwh: IT energy, before PUE. Units: kWh.
        share_percent: of the IT energy. Units: %.
        methods: the methods used (``unknown`` when a file does not say).
        how: ``measured``, ``estimated``, ``mixed``, ``unknown`` or ``not tracked``.
        details: the methods' inputs, as recorded.
    """

    component: str
    it_energy_kwh: float
    share_percent: float
    methods: tuple[str, ...]
    how: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TaskLine:
    """One task: its recorded energy and intensity, and the emissions they give.

    Attributes:
        energy_kwh: facility energy of the task, recorded. Units: kWh.
        intensity_g_per_kwh: recorded. Units: gCO2e/kWh.
        emissions_kg: energy x intensity. Units: kg CO2e.
        share_percent: of the run's emissions. Units: %.
    """

    run_id: str | None
    name: str
    duration_s: float | None
    energy_kwh: float
    intensity_g_per_kwh: float
    emissions_kg: float
    water_l: float | None
    share_percent: float | None


@dataclass(frozen=True, slots=True)
class Report:
    """A whole report, ready to render or to serialise (``wattprint.report/1``)."""

    schema: str
    generator: str
    generated_at: str
    title: str
    scope: Scope
    runs: tuple[RunLine, ...]
    totals: Totals
    components: tuple[ComponentLine, ...]
    tasks: tuple[TaskLine, ...]
    per_unit: Sci | None
    per_unit_note: str
    equivalents: tuple[Equivalent, ...]
    what_if: WhatIf | None
    methodology: MethodologyLine
    sources: tuple[SourceLine, ...]
    uncertainty: tuple[str, ...]
    advice: tuple[str, ...] = ()
    runs_not_listed: int = 0

"""The report as data: every figure a renderer shows, with its inputs beside it.

Each run keeps its raw inputs (IT energy per component, PUE, intensity, WUE,
grid water, hardware, functional units) apart from the figures derived from
them with :mod:`wattprint.impact` (facility energy, emissions, water,
embodied share, SCI), so a reader, or ``wattprint verify``, can recompute
every derived figure from the report alone. A run is *counted* in the totals
when its energy and emissions are known; the others are listed, not guessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from wattprint.advice.actions import RunFigures, top_actions
from wattprint.advice.whatif import WhatIf, what_if_of
from wattprint.impact.carbon import emissions_kg
from wattprint.impact.equivalents import Equivalent, equivalents
from wattprint.impact.sci import Sci, sci
from wattprint.records.record import COMPONENTS, RunRecord
from wattprint.report.runs import RunLine, run_line
from wattprint.report.sources import (
    MethodologyLine,
    SourceLine,
    methodology_of,
    sources_of,
    uncertainty_of,
)
from wattprint.units import G_PER_KG

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


def _bound_sum(values: list[float | None]) -> float | None:
    """Return the sum of bounds, None if any is unknown (a sum of intervals)."""
    if not values or any(v is None for v in values):
        return None
    return math.fsum(v for v in values if v is not None)


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


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return math.fsum(known) if known else None


def totals_of(runs: tuple[RunLine, ...]) -> Totals:
    """Return the totals of the counted runs (as ``wattprint verify`` recomputes them)."""
    counted = [r for r in runs if r.counted]
    energy = math.fsum(r.energy_kwh or 0.0 for r in counted)
    emissions = math.fsum(r.emissions_kg or 0.0 for r in counted)
    embodied = _sum([r.embodied.embodied_kg if r.embodied else None for r in counted])
    starts = [r.started_at for r in counted if r.started_at]
    ends = [r.ended_at for r in counted if r.ended_at]
    return Totals(
        runs=len(runs),
        runs_counted=len(counted),
        duration_s=math.fsum(r.duration_s or 0.0 for r in counted),
        it_energy_kwh=math.fsum(r.it_energy_kwh or 0.0 for r in counted),
        energy_kwh=energy,
        emissions_kg=emissions,
        intensity_g_per_kwh=emissions * G_PER_KG / energy if energy > 0 else None,
        water_l=_sum([r.water_l for r in counted]),
        embodied_kg=embodied,
        total_kg=emissions + (embodied or 0.0),
        first_started_at=min(starts) if starts else None,
        last_ended_at=max(ends) if ends else None,
        energy_kwh_low=_bound_sum([r.energy_kwh_low for r in counted]),
        energy_kwh_high=_bound_sum([r.energy_kwh_high for r in counted]),
        emissions_kg_low=_bound_sum([r.emissions_kg_low for r in counted]),
        emissions_kg_high=_bound_sum([r.emissions_kg_high for r in counted]),
    )


def components_of(runs: tuple[RunLine, ...], records: dict[str, RunRecord]) -> list[ComponentLine]:
    """Return each component's energy over the counted runs, and how it was obtained."""
    counted = [r for r in runs if r.counted]
    it_total = math.fsum(r.it_energy_kwh or 0.0 for r in counted)
    lines = []
    for name in COMPONENTS:
        energy = math.fsum(getattr(r.inputs, f"{name}_energy_kwh") or 0.0 for r in counted)
        found = [records[r.origin].component(name) for r in counted]
        methods = sorted({(c.method if c and c.method else "unknown") for c in found})
        flags = {c.measured if c else None for c in found if not (c and c.method == "none")}
        if methods == ["none"]:
            how = "not tracked"
        elif flags == {True}:
            how = "measured"
        elif flags == {False}:
            how = "estimated"
        elif None in flags:
            how = "unknown" if len(flags) == 1 else "mixed, partly unknown"
        else:
            how = "mixed"
        details = sorted({c.detail for c in found if c and c.detail})
        share = 100.0 * energy / it_total if it_total > 0 else 0.0
        lines.append(ComponentLine(name, energy, share, tuple(methods), how, tuple(details)))
    return lines


def tasks_of(runs: tuple[RunLine, ...], records: dict[str, RunRecord]) -> list[TaskLine]:
    """Return every task with known energy and intensity, and the emissions they give."""
    lines = []
    for run in runs:
        for task in records[run.origin].tasks:
            if task.energy_kwh is None or task.intensity_g_per_kwh is None:
                continue
            kg = emissions_kg(task.energy_kwh, task.intensity_g_per_kwh)
            share = 100.0 * kg / run.emissions_kg if run.emissions_kg else None
            lines.append(
                TaskLine(
                    run.run_id,
                    task.name,
                    task.duration_s,
                    task.energy_kwh,
                    task.intensity_g_per_kwh,
                    kg,
                    task.water_l,
                    share,
                )
            )
    return lines


def per_unit_of(runs: tuple[RunLine, ...], totals: Totals) -> tuple[Sci | None, str]:
    """Return the SCI of the counted runs together, or why there is none."""
    counted = [r for r in runs if r.counted]
    declared = {(r.inputs.unit if r.inputs.units else None) for r in counted}
    with_units = sum(bool(r.inputs.units) for r in counted)
    if not with_units:
        return None, "no run declares functional units (SCI's R): per-unit figures are unknown"
    if None in declared:
        return None, (
            f"only {with_units} of {len(counted)} runs declare functional units: "
            "per-unit figures over the whole report are unknown"
        )
    if len(declared) > 1:
        return None, f"the runs count different units ({', '.join(sorted(map(str, declared)))})"
    if totals.intensity_g_per_kwh is None:
        return None, "no energy: per-unit figures are unknown"
    units = math.fsum(r.inputs.units or 0.0 for r in counted)
    unit = next(iter(declared)) or "unit"
    score = sci(
        energy_kwh=totals.energy_kwh,
        intensity_g_per_kwh=totals.intensity_g_per_kwh,
        embodied_kg=totals.embodied_kg or 0.0,
        water_l=totals.water_l or 0.0,
        units=units,
        unit=unit,
    )
    return score, f"{units:g} {unit} over {len(counted)} run(s)"


def build_report(
    records: tuple[RunRecord, ...],
    scope: Scope,
    *,
    load_notes: tuple[str, ...] = (),
    generator: str = "",
    now: datetime | None = None,
    title: str | None = None,
    top: int = 3,
    listed: int = RUNS_LISTED,
) -> Report:
    """Return the report over ``records``.

    Every run is counted in the totals, components, what-if and sources;
    the runs table lists the first ``listed`` runs (and their tasks), and
    ``runs_not_listed`` says how many more there are.

    Args:
        records: the runs, as :func:`wattprint.report.load.select` returns them.
        scope: what the report covers and the files it was made from.
        load_notes: what reading the files found worth telling.
        generator: e.g. ``wattprint 0.4.0``.
        now: the time of the report (UTC now when None).
        title: the report's title (one is made from the scope when None).
        top: how many places to show at each end of the what-if rankings.
        listed: the most runs listed one by one.
    """
    by_origin = {r.origin: r for r in records}
    runs = tuple(run_line(r) for r in records)
    totals = totals_of(runs)
    per_unit, per_unit_note = per_unit_of(runs, totals)
    what_if = what_if_of(runs, totals, top=top)
    return Report(
        schema=REPORT_SCHEMA,
        generator=generator,
        generated_at=(now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        title=title or _title(scope, runs),
        scope=scope,
        runs=runs[:listed],
        totals=totals,
        components=tuple(components_of(runs, by_origin)),
        tasks=tuple(tasks_of(runs[:listed], by_origin)),
        per_unit=per_unit,
        per_unit_note=per_unit_note,
        equivalents=equivalents(emissions_kg=totals.emissions_kg, energy_kwh=totals.energy_kwh),
        what_if=what_if,
        methodology=methodology_of(records, load_notes),
        sources=sources_of(runs, records, what_if),
        uncertainty=uncertainty_of(runs, records),
        advice=top_actions(what_if, [
            RunFigures(r.energy_kwh or 0.0, r.emissions_kg or 0.0, r.units or 0.0, r.unit or "")
            for r in records
        ]),
        runs_not_listed=max(0, len(runs) - listed),
    )


def _title(scope: Scope, runs: tuple[RunLine, ...]) -> str:
    if scope.kind == "run" and runs:
        return f"Footprint of run {runs[0].run_id or runs[0].origin}"
    if scope.kind == "project":
        return f"Footprint of project {scope.project}"
    if scope.kind == "group":
        return f"Footprint of run group {scope.group}"
    return f"Footprint of {len(runs)} runs"

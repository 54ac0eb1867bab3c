"""A report's figures gathered one run at a time, so any number of runs takes little memory.

:class:`Aggregate` is handed each run in turn: it makes the run's report
line, adds it to the totals, components, per-unit figures and what-if
inputs, hands it to a :class:`~wattprint.report.tally.Tally`, and keeps the
first runs only (the runs table lists them; the report says how many more
were counted). Sums are exact sums (:func:`math.fsum` over the figures,
kept as 8-byte floats), so a report is the same whichever way it was made.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from datetime import datetime, timezone

from wattprint.advice.actions import RunFigures, top_actions
from wattprint.advice.whatif import what_if_of
from wattprint.impact.carbon import emissions_kg
from wattprint.impact.equivalents import equivalents
from wattprint.impact.sci import Sci, sci
from wattprint.records.record import COMPONENTS, RunRecord
from wattprint.report.model import (
    REPORT_SCHEMA,
    RUNS_LISTED,
    ComponentLine,
    Report,
    Scope,
    TaskLine,
    Totals,
)
from wattprint.report.runs import RunLine, run_line
from wattprint.report.tally import Tally
from wattprint.units import G_PER_KG

_SUMS = ("duration", "it_energy", "energy", "emissions", *(f"{c}_energy" for c in COMPONENTS))
_KNOWN = ("water", "embodied", "units")
_BOUNDS = ("energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high")


class _Component:
    __slots__ = ("details", "flags", "methods")

    def __init__(self) -> None:
        self.methods: set[str] = set()
        self.flags: set[bool | None] = set()
        self.details: set[str] = set()


class Aggregate:
    """The report's figures over the runs added so far.

    Args:
        listed: the most runs kept for the runs table (and their tasks).
    """

    def __init__(self, listed: int) -> None:
        self.listed = listed
        self.records: list[RunRecord] = []
        self.lines: list[RunLine] = []
        self.runs = 0
        self.counted = 0
        self.tally = Tally()
        self._sums = {name: array("d") for name in (*_SUMS, *_KNOWN)}
        self._bounds = {name: array("d") for name in _BOUNDS}
        self._bound_unknown = False
        self._first: str | None = None
        self._last: str | None = None
        self._components = {name: _Component() for name in COMPONENTS}
        self._declared: dict[str | None, None] = {}
        self._with_units = 0
        self._places: dict[tuple[object, ...], RunLine] = {}
        self._training: RunFigures | None = None
        self._inference: RunFigures | None = None

    def add(self, record: RunRecord) -> None:
        """Count one run."""
        line = run_line(record)
        self.runs += 1
        if len(self.lines) < self.listed:
            self.records.append(record)
            self.lines.append(line)
        self.tally.add(record, line)
        self._add_figures(record)
        if line.counted:
            self._add_counted(record, line)

    def _add_figures(self, r: RunRecord) -> None:
        """Keep the runs the parity advice compares: the largest training and inference runs."""
        figures = RunFigures(
            r.energy_kwh or 0.0, r.emissions_kg or 0.0, r.units or 0.0, r.unit or ""
        )
        if figures.energy_kwh > 0 and figures.units > 0:
            if self._inference is None or figures.units > self._inference.units:
                self._inference = figures
        elif figures.energy_kwh > 0 and (
            self._training is None or figures.energy_kwh > self._training.energy_kwh
        ):
            self._training = figures

    def _add_counted(self, record: RunRecord, line: RunLine) -> None:
        self.counted += 1
        sums = self._sums
        sums["duration"].append(line.duration_s or 0.0)
        sums["it_energy"].append(line.it_energy_kwh or 0.0)
        sums["energy"].append(line.energy_kwh or 0.0)
        sums["emissions"].append(line.emissions_kg or 0.0)
        for known, value in (
            ("water", line.water_l),
            ("embodied", line.embodied.embodied_kg if line.embodied else None),
        ):
            if value is not None:
                sums[known].append(value)
        for bound in _BOUNDS:
            value = getattr(line, bound)
            if value is None:
                self._bound_unknown = True
            else:
                self._bounds[bound].append(value)
        if line.started_at and (self._first is None or line.started_at < self._first):
            self._first = line.started_at
        if line.ended_at and (self._last is None or line.ended_at > self._last):
            self._last = line.ended_at
        for name, tally in self._components.items():
            sums[f"{name}_energy"].append(getattr(line.inputs, f"{name}_energy_kwh") or 0.0)
            c = record.component(name)
            tally.methods.add(c.method if c and c.method else "unknown")
            if not (c and c.method == "none"):
                tally.flags.add(c.measured if c else None)
            if c and c.detail:
                tally.details.add(c.detail)
        self._declared[line.inputs.unit if line.inputs.units else None] = None
        if line.inputs.units:
            self._with_units += 1
            sums["units"].append(line.inputs.units)
        place = line.place
        key = (
            place.country_iso3, place.country_name, place.region,
            place.cloud_provider, place.cloud_region,
        )  # fmt: skip
        self._places.setdefault(key, line)

    def _known(self, name: str) -> float | None:
        values = self._sums[name]
        return math.fsum(values) if values else None

    def totals(self) -> Totals:
        """Return the totals of the counted runs."""
        energy = math.fsum(self._sums["energy"])
        emissions = math.fsum(self._sums["emissions"])
        embodied = self._known("embodied")
        bounds = {
            name: None if self._bound_unknown or not self.counted else math.fsum(values)
            for name, values in self._bounds.items()
        }
        return Totals(
            runs=self.runs,
            runs_counted=self.counted,
            duration_s=math.fsum(self._sums["duration"]),
            it_energy_kwh=math.fsum(self._sums["it_energy"]),
            energy_kwh=energy,
            emissions_kg=emissions,
            intensity_g_per_kwh=emissions * G_PER_KG / energy if energy > 0 else None,
            water_l=self._known("water"),
            embodied_kg=embodied,
            total_kg=emissions + (embodied or 0.0),
            first_started_at=self._first,
            last_ended_at=self._last,
            **bounds,
        )

    def components(self) -> tuple[ComponentLine, ...]:
        """Return each component's energy over the counted runs, and how it was obtained."""
        it_total = math.fsum(self._sums["it_energy"])
        lines = []
        for name, tally in self._components.items():
            energy = math.fsum(self._sums[f"{name}_energy"])
            methods = sorted(tally.methods)
            flags = tally.flags
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
            share = 100.0 * energy / it_total if it_total > 0 else 0.0
            lines.append(
                ComponentLine(
                    name, energy, share, tuple(methods), how, tuple(sorted(tally.details))
                )
            )
        return tuple(lines)

    def tasks(self) -> tuple[TaskLine, ...]:
        """Return every task of the listed runs with known energy and intensity."""
        lines = []
        for record, run in zip(self.records, self.lines, strict=True):
            for task in record.tasks:
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
                    )  # fmt: skip
                )
        return tuple(lines)

    def per_unit(self, totals: Totals) -> tuple[Sci | None, str]:
        """Return the SCI of the counted runs together, or why there is none."""
        declared = set(self._declared)
        with_units = self._with_units
        if not with_units:
            return None, "no run declares functional units (SCI's R): per-unit figures are unknown"
        if None in declared:
            return None, (
                f"only {with_units} of {self.counted} runs declare functional units: "
                "per-unit figures over the whole report are unknown"
            )
        if len(declared) > 1:
            return None, f"the runs count different units ({', '.join(sorted(map(str, declared)))})"
        if totals.intensity_g_per_kwh is None:
            return None, "no energy: per-unit figures are unknown"
        units = math.fsum(self._sums["units"])
        unit = next(iter(declared)) or "unit"
        score = sci(
            energy_kwh=totals.energy_kwh,
            intensity_g_per_kwh=totals.intensity_g_per_kwh,
            embodied_kg=totals.embodied_kg or 0.0,
            water_l=totals.water_l or 0.0,
            units=units,
            unit=unit,
        )
        return score, f"{units:g} {unit} over {self.counted} run(s)"

    def report(
        self,
        scope: Scope,
        *,
        load_notes: tuple[str, ...],
        generator: str,
        now: datetime | None,
        title: str | None,
        top: int,
    ) -> Report:
        """Return the report over the runs added (as :func:`build_report` describes it)."""
        totals = self.totals()
        per_unit, per_unit_note = self.per_unit(totals)
        what_if = what_if_of(tuple(self._places.values()), totals, top=top)
        figures = [f for f in (self._training, self._inference) if f is not None]
        return Report(
            schema=REPORT_SCHEMA,
            generator=generator,
            generated_at=(now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
            title=title or self._title(scope),
            scope=scope,
            runs=tuple(self.lines),
            totals=totals,
            components=self.components(),
            tasks=self.tasks(),
            per_unit=per_unit,
            per_unit_note=per_unit_note,
            equivalents=equivalents(emissions_kg=totals.emissions_kg, energy_kwh=totals.energy_kwh),
            what_if=what_if,
            methodology=self.tally.methodology(load_notes),
            sources=self.tally.sources(what_if),
            uncertainty=self.tally.uncertainty(),
            advice=top_actions(what_if, figures),
            runs_not_listed=self.runs - len(self.lines),
        )

    def _title(self, scope: Scope) -> str:
        if scope.kind == "run" and self.lines:
            return f"Footprint of run {self.lines[0].run_id or self.lines[0].origin}"
        if scope.kind == "project":
            return f"Footprint of project {scope.project}"
        if scope.kind == "group":
            return f"Footprint of run group {scope.group}"
        return f"Footprint of {self.runs} runs"


def build_report(
    records: Iterable[RunRecord],
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
        records: the runs, as :func:`wattprint.report.load.select` returns them
            (any iterable: they are read once, and only the listed ones are kept).
        scope: what the report covers and the files it was made from.
        load_notes: what reading the files found worth telling.
        generator: e.g. ``wattprint 0.4.0``.
        now: the time of the report (UTC now when None).
        title: the report's title (one is made from the scope when None).
        top: how many places to show at each end of the what-if rankings.
        listed: the most runs listed one by one.
    """
    aggregate = Aggregate(listed)
    for record in records:
        aggregate.add(record)
    return aggregate.report(
        scope, load_notes=load_notes, generator=generator, now=now, title=title, top=top
    )

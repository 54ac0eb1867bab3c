"""A report's figures gathered one run at a time, so any number of runs takes little memory.

:class:`Aggregate` is handed each run in turn, as a record or as a row of
wattprint's CSV, and keeps the first runs only (the runs table lists them;
the report says how many more were counted). What each run adds
(:mod:`wattprint.report.counting`) goes to the components, per-unit and
what-if inputs kept here, to a :class:`~wattprint.report.tally.Tally`
(methodology, sources, uncertainty) and to :class:`~wattprint.report.sums.Sums`
(exact sums, first and last times). A run read as a row that is not listed
is counted from the row, with what its record would add.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from wattprint.advice.actions import top_actions
from wattprint.advice.whatif import what_if_of
from wattprint.impact.carbon import emissions_kg
from wattprint.impact.equivalents import equivalents
from wattprint.impact.sci import Sci, sci
from wattprint.records.record import COMPONENTS, RunRecord
from wattprint.records.rows import RunRow
from wattprint.report.counting import Profile, figures_of, profile_of, row_figures
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
from wattprint.report.sums import BOUNDS, Sums
from wattprint.report.tally import Tally
from wattprint.units import G_PER_KG

PROFILES_KEPT = 10_000
"""The most row keys a report keeps the profile of; a run of another is counted from its record."""


class _Component:
    __slots__ = ("details", "flags", "methods")

    def __init__(self) -> None:
        self.methods: set[str] = set()
        self.flags: set[bool | None] = set()
        self.details: set[str] = set()


class _Alike:
    """The profile of a row key, and how many of its runs are counted but not yet added.

    Attributes:
        profile: what each run of the key adds beside its figures.
        line: the report line of the run it was made from (its place, for the what-if).
        pending: the runs counted since the profile was last added.
    """

    __slots__ = ("line", "pending", "profile")

    def __init__(self, profile: Profile, line: RunLine) -> None:
        self.profile = profile
        self.line = line
        self.pending = 0


class Aggregate:
    """The report's figures over the runs added so far.

    Each run adds its profile and its figures (:mod:`wattprint.report.counting`).
    The profile of runs read as rows of one key is added once for all of
    them, when the report is made or a run is next added from its record:
    each value is still kept where it was first seen, so the report is the
    one adding run after run from their records would make.

    Args:
        listed: the most runs kept for the runs table (and their tasks).
    """

    def __init__(self, listed: int) -> None:
        self.listed = listed
        self.records: list[RunRecord] = []
        self.lines: list[RunLine] = []
        self.runs = 0
        self.tally = Tally()
        self.sums = Sums(self.tally)
        self._count = self.sums.add
        self._components = {name: _Component() for name in COMPONENTS}
        self._declared: dict[str | None, None] = {}
        self._with_units = 0
        self._places: dict[tuple[object, ...], RunLine] = {}
        self._alike: dict[object, _Alike] = {}
        self._waiting: list[_Alike] = []

    def add(self, record: RunRecord) -> None:
        """Count one run, from its record."""
        if self._waiting:
            self._add_waiting()
        line = run_line(record)
        self.runs += 1
        if len(self.lines) < self.listed:
            self.records.append(record)
            self.lines.append(line)
        profile = profile_of(record, line)
        self._add_profile(profile, 1, line)
        self._count(profile, figures_of(record, line))

    def add_row(self, row: RunRow) -> None:
        """Count one run from its row: from its record when it is listed, else from the row."""
        if row.duration_s is not None and row.duration_s < 0:
            self.add(row.record())  # no embodied share, unlike the other runs of its key
            return
        alike = self._alike.get(row.key)
        listed = len(self.lines) < self.listed
        if alike is None or listed:
            if alike is None and len(self._alike) >= PROFILES_KEPT:
                self.add(row.record())
                return
            record = row.record()
            line = run_line(record)
            if alike is None:
                alike = self._alike[row.key] = _Alike(profile_of(record, line), line)
            if listed:
                self.records.append(record)
                self.lines.append(line)
            figures = figures_of(record, line)
        else:
            figures = row_figures(row, alike.profile)
        self.runs += 1
        if not alike.pending:
            self._waiting.append(alike)
        alike.pending += 1
        self._count(alike.profile, figures)

    def _add_waiting(self) -> None:
        for alike in self._waiting:
            self._add_profile(alike.profile, alike.pending, alike.line)
            alike.pending = 0
        self._waiting.clear()

    def _add_profile(self, p: Profile, runs: int, line: RunLine) -> None:
        """Add what ``runs`` runs of profile ``p`` add beside their figures (``line``: one's)."""
        self.tally.add(p.entries, runs)
        if not p.entries.counted:
            return
        for tally, (method, flagged, flag, detail) in zip(
            self._components.values(), p.components, strict=True
        ):
            tally.methods.add(method)
            if flagged:
                tally.flags.add(flag)
            if detail:
                tally.details.add(detail)
        self._declared[p.declared] = None
        if p.declared is not None:
            self._with_units += runs
        self._places.setdefault(p.place_key, line)

    def totals(self) -> Totals:
        """Return the totals of the counted runs."""
        sums = self.sums
        energy = sums.total("energy")
        emissions = sums.total("emissions")
        embodied = sums.known("embodied")
        bounds = {
            name: sums.total(name) if sums.bounds_known and sums.counted else None
            for name in BOUNDS
        }
        return Totals(
            runs=self.runs,
            runs_counted=sums.counted,
            duration_s=sums.total("duration"),
            it_energy_kwh=sums.total("it_energy"),
            energy_kwh=energy,
            emissions_kg=emissions,
            intensity_g_per_kwh=emissions * G_PER_KG / energy if energy > 0 else None,
            water_l=sums.known("water"),
            embodied_kg=embodied,
            total_kg=emissions + (embodied or 0.0),
            first_started_at=sums.first_started_at(),
            last_ended_at=sums.last_ended_at(),
            **bounds,
        )

    def components(self) -> tuple[ComponentLine, ...]:
        """Return each component's energy over the counted runs, and how it was obtained."""
        it_total = self.sums.total("it_energy")
        lines = []
        for name, tally in self._components.items():
            energy = self.sums.total(f"{name}_energy")
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
                f"only {with_units} of {self.sums.counted} runs declare functional units: "
                "per-unit figures over the whole report are unknown"
            )
        if len(declared) > 1:
            return None, f"the runs count different units ({', '.join(sorted(map(str, declared)))})"
        if totals.intensity_g_per_kwh is None:
            return None, "no energy: per-unit figures are unknown"
        units = self.sums.known("units")
        units = units if units is not None else 0.0
        unit = next(iter(declared)) or "unit"
        score = sci(
            energy_kwh=totals.energy_kwh,
            intensity_g_per_kwh=totals.intensity_g_per_kwh,
            embodied_kg=totals.embodied_kg or 0.0,
            water_l=totals.water_l or 0.0,
            units=units,
            unit=unit,
        )
        return score, f"{units:g} {unit} over {self.sums.counted} run(s)"

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
        if self._waiting:
            self._add_waiting()
        totals = self.totals()
        per_unit, per_unit_note = self.per_unit(totals)
        what_if = what_if_of(tuple(self._places.values()), totals, top=top)
        figures = [f for f in (self.sums.training, self.sums.inference) if f is not None]
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

"""Methodology, data sources and uncertainty notes, gathered one run at a time.

A :class:`Tally` is handed each run of a report in turn (its record and its
report line) and keeps only what the methodology, the sources and the
uncertainty notes need: counts, distinct values in the order first seen,
and running sums. It never keeps a run, so a report of any number of runs
takes the same memory.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from wattprint.impact.equivalents import FACTORS
from wattprint.records.record import RunRecord
from wattprint.report.sources import (
    DATED,
    IntensityLine,
    MethodLine,
    MethodologyLine,
    SourceLine,
    licence_of,
)

if TYPE_CHECKING:
    from wattprint.advice.whatif import WhatIf
    from wattprint.report.runs import RunLine


def _unique(values: list[str] | dict[str, None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


class Tally:
    """What the methodology, sources and uncertainty notes need of the runs seen so far."""

    def __init__(self) -> None:
        self.runs = 0
        self.methods: Counter[tuple[str, str, bool | None, str, str]] = Counter()
        self.intensities: Counter[tuple[str, int | None, str | None, str, bool]] = Counter()
        self.unknown: Counter[str] = Counter()
        self.places: dict[str, None] = {}
        self.pue: dict[str, None] = {}
        self.water: dict[str, None] = {}
        self.tools: dict[str, None] = {}
        self.notes: dict[str, None] = {}
        self.record_sources: dict[tuple[str, int | None, str], None] = {}
        self.embodied_sources: dict[str, None] = {}
        # uncertainty, over the counted runs
        self.counted = 0
        self.estimated_kwh = 0.0
        self.unknown_kwh = 0.0
        self.it_kwh = 0.0
        self.models: set[str] = set()
        self.average = False
        self.implied = False
        self.embodied = False
        self.guessed = False

    def add(self, r: RunRecord, line: RunLine) -> None:
        """Count one run: its record ``r`` and its report line."""
        self.runs += 1
        for c in r.components:
            method = c.method or "unknown (not recorded)"
            self.methods[(c.component, method, c.measured, c.detail, c.attribution)] += 1
        i = r.intensity
        source = i.source or ("implied by emissions / energy" if i.implied else "unknown")
        self.intensities[(source, i.year, i.kind, i.detail, i.implied)] += 1
        self.unknown.update(r.unknown)
        p = r.place
        place = (
            f"{p.country_name or p.country_iso3 or 'unknown place'}"
            + (f" ({p.cloud_provider}:{p.cloud_region})" if p.cloud_region else "")
            + f": {p.how or 'how it was found is not recorded'}"
        )
        self.places[place] = None
        self.pue[
            f"PUE {r.pue:g}: {r.pue_source or 'source not recorded'}"
            if r.pue is not None
            else "PUE not recorded (1.0 assumed)"
        ] = None
        self.water[
            r.water_detail
            or (
                "no water figure"
                if r.water_l is None
                else "as recorded by CodeCarbon"
                if r.format == "codecarbon-csv"
                else "IT energy x (WUE + PUE x grid water intensity), as recorded"
            )
        ] = None
        self.tools[r.tool] = None
        for note in r.notes:
            self.notes[note] = None
        if r.intensity.source:
            self.record_sources[(r.intensity.source, r.intensity.year, "grid carbon intensity")] = (
                None
            )
        if r.water_source and r.water_l:  # the source recorded with the run, not today's table
            self.record_sources[(r.water_source, r.water_year, "grid water intensity")] = None
        for part in line.embodied.parts if line.embodied else ():
            self.embodied_sources[part.source] = None
        if line.counted:
            self._add_counted(r, line)

    def _add_counted(self, r: RunRecord, line: RunLine) -> None:
        self.counted += 1
        for c in r.components:
            energy = c.it_energy_kwh or 0.0
            if c.measured is False and c.method != "none":
                self.estimated_kwh += energy
                self.models.add(c.method or "")
            elif c.measured is None:
                self.unknown_kwh += energy
        self.it_kwh += line.it_energy_kwh or 0.0
        self.average = self.average or line.inputs.intensity_kind != "marginal"
        self.implied = self.implied or line.inputs.intensity_implied
        if line.embodied:
            self.embodied = True
            self.guessed = self.guessed or not line.embodied.recorded

    def methodology(self, load_notes: tuple[str, ...]) -> MethodologyLine:
        """Return the methodology of the runs (each distinct method, source and note once)."""
        return MethodologyLine(
            components=tuple(MethodLine(*key, n) for key, n in self.methods.items()),
            intensities=tuple(IntensityLine(*key, n) for key, n in self.intensities.items()),
            places=_unique(self.places),
            pue=_unique(self.pue),
            water=_unique(self.water),
            tools=_unique(self.tools),
            notes=_unique([*load_notes, *self.notes]),
            unknown=tuple(f"{name} ({n} of {self.runs} runs)" for name, n in self.unknown.items()),
        )

    def sources(self, what_if: WhatIf | None) -> tuple[SourceLine, ...]:
        """Return every data set the report's figures rest on, once each."""
        found: dict[tuple[str, int | None], str] = {}

        def add(name: str, year: int | None, used_for: str) -> None:
            dated = DATED.fullmatch(name)
            if dated is not None and year is None:  # rankings write "Ember (2025) 2023"
                name, year = dated.group(1), int(dated.group(2))
            key = (name, year)
            if used_for not in found.get(key, ""):
                found[key] = f"{found[key]}; {used_for}" if key in found else used_for

        for name, year, used_for in self.record_sources:
            add(name, year, used_for)
        for name in self.embodied_sources:
            add(name, None, "embodied emissions")
        for f in FACTORS:
            add(f.source, f.year, "equivalents")
        if what_if is not None:
            shown = (*what_if.countries_best, *what_if.countries_worst, *what_if.cloud_best)
            for place in (*shown, *what_if.cloud_worst, *what_if.months):
                add(place.source, None, "what-if intensities")
        return tuple(
            SourceLine(name, year, licence_of(name), used) for (name, year), used in found.items()
        )

    def uncertainty(self) -> tuple[str, ...]:
        """Return what a reader should keep in mind about the figures' accuracy."""
        notes = []
        it_total = self.it_kwh
        if it_total > 0 and self.estimated_kwh > 0:
            notes.append(
                f"{100 * self.estimated_kwh / it_total:.0f}% of the IT energy is estimated "
                f"({', '.join(sorted(self.models))}), not measured by a hardware counter: a "
                "model (the TDP x load model is 0.57-3.67x RAPL on the profiles it was fitted "
                "on; the W per GB memory model 0.5-3x); the ranges shown carry each method's "
                "stated band (impact/SOURCES.md), a set power is taken as exact"
            )
        if it_total > 0 and self.unknown_kwh > 0:
            notes.append(
                f"{100 * self.unknown_kwh / it_total:.0f}% of the IT energy comes from files "
                "that do not say whether it was measured or estimated"
            )
        if self.average:
            notes.append(
                "grid intensities are averages (annual, or monthly where known) of the grid's "
                "generation, not the mix of the hours the runs used"
            )
        if self.implied:
            notes.append("some intensities are implied by a file's emissions over its energy")
        if self.embodied:
            notes.append(
                "embodied emissions use generic per-component figures and an assumed life"
                + (
                    " (and, where the report estimated them, an assumed socket count)"
                    if self.guessed
                    else ""
                )
                + ", not the machine's own life-cycle assessment"
            )
        left_out = self.runs - self.counted
        if left_out:
            notes.append(f"{left_out} run(s) without a known energy or emissions are not counted")
        notes.append(
            "equivalents compare with averages (of cars, households, flights) and are orders "
            "of magnitude, not exact figures"
        )
        return tuple(notes)

"""Methodology, data sources and uncertainty notes, gathered one run at a time.

A :class:`Tally` is handed what each run of a report adds to them (its
:class:`Entries`, made from its record and report line, and for a counted
run its energies) and keeps only what the methodology, the sources and the
uncertainty notes need: counts, distinct values in the order first seen,
and running sums. It never keeps a run, so a report of any number of runs
takes the same memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple
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


class Entries(NamedTuple):
    """What one run adds to the methodology, the sources and the uncertainty notes.

    Made once per run by :func:`entries_of`, or once for all the runs whose
    records differ only in their figures (:mod:`wattprint.report.counting`),
    and added to a :class:`Tally` as many times as there are such runs.

    Attributes:
        counted: the run is in the totals.
        methods: per component: component, method, measured, detail, attribution.
        intensity: source, year, kind, detail, implied.
        unknown: the fields the file does not give.
        place: where the electricity came from, and how that was found.
        pue: the PUE and its source.
        water: how the water figure was obtained.
        tool: what wrote the run.
        notes: what the tracker or the reader wanted a reader to know.
        record_sources: ``(data set, year, used for)`` recorded with the run.
        embodied_sources: the sources of the embodied estimate's parts.
        estimated_at: the components (their places in the record's order)
            whose energy is estimated.
        unknown_at: those not said to be measured or estimated.
        models: the methods of the estimated components.
        average: the intensity is not a marginal one.
        implied: the intensity is implied by the file's emissions over energy.
        embodied: the run has an embodied share.
        guessed: that share was estimated by the report, not recorded.
    """

    counted: bool
    methods: tuple[tuple[str, str, bool | None, str, str], ...]
    intensity: tuple[str, int | None, str | None, str, bool]
    unknown: tuple[str, ...]
    place: str
    pue: str
    water: str
    tool: str
    notes: tuple[str, ...]
    record_sources: tuple[tuple[str, int | None, str], ...]
    embodied_sources: tuple[str, ...]
    estimated_at: tuple[int, ...]
    unknown_at: tuple[int, ...]
    models: tuple[str, ...]
    average: bool
    implied: bool
    embodied: bool
    guessed: bool


def entries_of(r: RunRecord, line: RunLine) -> Entries:
    """Return what the run of record ``r`` and report line ``line`` adds to a tally."""
    i = r.intensity
    source = i.source or ("implied by emissions / energy" if i.implied else "unknown")
    p = r.place
    place = (
        f"{p.country_name or p.country_iso3 or 'unknown place'}"
        + (f" ({p.cloud_provider}:{p.cloud_region})" if p.cloud_region else "")
        + f": {p.how or 'how it was found is not recorded'}"
    )
    pue = (
        f"PUE {r.pue:g}: {r.pue_source or 'source not recorded'}"
        if r.pue is not None
        else "PUE not recorded (1.0 assumed)"
    )
    water = r.water_detail or (
        "no water figure"
        if r.water_l is None
        else "as recorded by CodeCarbon"
        if r.format == "codecarbon-csv"
        else "IT energy x (WUE + PUE x grid water intensity), as recorded"
    )
    sources = []
    if i.source:
        sources.append((i.source, i.year, "grid carbon intensity"))
    if r.water_source and r.water_l:  # the source recorded with the run, not today's table
        sources.append((r.water_source, r.water_year, "grid water intensity"))
    kinds = tuple(
        "estimated"
        if c.measured is False and c.method != "none"
        else "unknown"
        if c.measured is None
        else ""
        for c in r.components
    )
    embodied = line.embodied
    return Entries(
        counted=line.counted,
        methods=tuple(
            (c.component, c.method or "unknown (not recorded)", c.measured, c.detail, c.attribution)
            for c in r.components
        ),
        intensity=(source, i.year, i.kind, i.detail, i.implied),
        unknown=r.unknown,
        place=place,
        pue=pue,
        water=water,
        tool=r.tool,
        notes=r.notes,
        record_sources=tuple(sources),
        embodied_sources=tuple(part.source for part in embodied.parts) if embodied else (),
        estimated_at=tuple(n for n, k in enumerate(kinds) if k == "estimated"),
        unknown_at=tuple(n for n, k in enumerate(kinds) if k == "unknown"),
        models=tuple(
            c.method or "" for c, k in zip(r.components, kinds, strict=True) if k == "estimated"
        ),
        average=line.inputs.intensity_kind != "marginal",
        implied=line.inputs.intensity_implied,
        embodied=embodied is not None,
        guessed=embodied is not None and not embodied.recorded,
    )


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

    def add(self, e: Entries, runs: int = 1) -> None:
        """Count ``runs`` runs that each add the entries ``e``.

        Each value is kept where it was first seen, so adding one run at a
        time, or the runs alike together once the first of them was seen,
        gives the same methodology.
        """
        self.runs += runs
        for key in e.methods:
            self.methods[key] += runs
        self.intensities[e.intensity] += runs
        for name in e.unknown:
            self.unknown[name] += runs
        self.places[e.place] = None
        self.pue[e.pue] = None
        self.water[e.water] = None
        self.tools[e.tool] = None
        for note in e.notes:
            self.notes[note] = None
        for source in e.record_sources:
            self.record_sources[source] = None
        for name in e.embodied_sources:
            self.embodied_sources[name] = None
        if e.counted:
            self.counted += runs
            self.models.update(e.models)
            self.average = self.average or e.average
            self.implied = self.implied or e.implied
            self.embodied = self.embodied or e.embodied
            self.guessed = self.guessed or e.guessed

    def count(self, e: Entries, energies: Sequence[float | None], it_kwh: float | None) -> None:
        """Add the energies of one counted run (in the order the run is counted).

        Args:
            e: its entries.
            energies: IT energy of each of its components (the record's
                order); None when unknown. Units: kWh.
            it_kwh: its IT energy. Units: kWh.
        """
        for at in e.estimated_at:
            self.estimated_kwh += energies[at] or 0.0
        for at in e.unknown_at:
            self.unknown_kwh += energies[at] or 0.0
        self.it_kwh += it_kwh or 0.0

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

"""Methodology, data sources and uncertainty notes of a report.

The methodology says, over the report's runs, what was measured and what
estimated (and by which method), which intensity was used and where from,
how the place, PUE and water were obtained, and what each file did not say.
Sources list every data set a figure rests on, with its year and licence;
a licence is read from the source's own text where it names one (``(MIT)``,
``CC BY 4.0`` ...) and otherwise from a short list of publishers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wattprint.impact.equivalents import FACTORS
from wattprint.records.record import RunRecord

if TYPE_CHECKING:
    from wattprint.advice.whatif import WhatIf
    from wattprint.report.runs import RunLine

_LICENCE = re.compile(
    r"CC BY(?:-SA)? \d\.\d|CC0(?: 1\.0)?|Apache-2\.0|ECL-2\.0|\bMIT\b|ODbL|public domain"
)
_DATED = re.compile(r"(.+?),? ((?:19|20)\d\d)")
_PUBLISHERS: tuple[tuple[str, str], ...] = (
    ("Ember", "CC BY 4.0"),
    ("OWID", "CC BY 4.0"),
    ("Our World in Data", "CC BY 4.0"),
    ("Green Algorithms", "CC BY 4.0"),
    ("CodeCarbon", "MIT"),
    ("Cloud Carbon Footprint", "Apache-2.0"),
    ("US EPA", "US government work, public domain"),
    ("US EIA", "US government work, public domain"),
)


@dataclass(frozen=True, slots=True)
class MethodLine:
    """A method used for a component, and by how many runs.

    Attributes:
        measured: True for a hardware counter, False for a model, None when unknown.
    """

    component: str
    method: str
    measured: bool | None
    detail: str
    attribution: str
    runs: int


@dataclass(frozen=True, slots=True)
class IntensityLine:
    """An intensity source used, and by how many runs."""

    source: str
    year: int | None
    kind: str | None
    detail: str
    implied: bool
    runs: int


@dataclass(frozen=True, slots=True)
class MethodologyLine:
    """How the report's figures were obtained.

    Attributes:
        components: each distinct component method.
        intensities: each distinct intensity source.
        places: how each place was found.
        pue: the PUE values and where they come from.
        water: how water was obtained.
        tools: what wrote the input records.
        notes: what the tracker and the reader of the files found worth telling.
        unknown: the fields the files leave unknown, with how many runs lack them.
    """

    components: tuple[MethodLine, ...]
    intensities: tuple[IntensityLine, ...]
    places: tuple[str, ...]
    pue: tuple[str, ...]
    water: tuple[str, ...]
    tools: tuple[str, ...]
    notes: tuple[str, ...]
    unknown: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A data set a figure rests on.

    Attributes:
        name: the source as it names itself.
        year: the year of the figures, when known.
        licence: its licence, or what is known of its terms.
        used_for: which figures rest on it.
    """

    name: str
    year: int | None
    licence: str
    used_for: str


def licence_of(source: str) -> str:
    """Return the licence a source names, or its publisher's, or "not stated"."""
    named = _LICENCE.search(source)
    if named is not None:
        return named.group(0)
    return next((lic for key, lic in _PUBLISHERS if key in source), "not stated")


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def methodology_of(records: tuple[RunRecord, ...], load_notes: tuple[str, ...]) -> MethodologyLine:
    """Return the methodology of ``records`` (each distinct method, source and note once)."""
    methods: Counter[tuple[str, str, bool | None, str, str]] = Counter()
    intensities: Counter[tuple[str, int | None, str | None, str, bool]] = Counter()
    unknown: Counter[str] = Counter()
    for r in records:
        for c in r.components:
            method = c.method or "unknown (not recorded)"
            methods[(c.component, method, c.measured, c.detail, c.attribution)] += 1
        i = r.intensity
        source = i.source or ("implied by emissions / energy" if i.implied else "unknown")
        intensities[(source, i.year, i.kind, i.detail, i.implied)] += 1
        unknown.update(r.unknown)
    places = [
        f"{r.place.country_name or r.place.country_iso3 or 'unknown place'}"
        + (f" ({r.place.cloud_provider}:{r.place.cloud_region})" if r.place.cloud_region else "")
        + f": {r.place.how or 'how it was found is not recorded'}"
        for r in records
    ]
    pue = [
        f"PUE {r.pue:g}: {r.pue_source or 'source not recorded'}"
        if r.pue is not None
        else "PUE not recorded (1.0 assumed)"
        for r in records
    ]
    water = [
        r.water_detail
        or (
            "no water figure"
            if r.water_l is None
            else "as recorded by CodeCarbon"
            if r.format == "codecarbon-csv"
            else "IT energy x (WUE + PUE x grid water intensity), as recorded"
        )
        for r in records
    ]
    return MethodologyLine(
        components=tuple(MethodLine(*key, n) for key, n in methods.items()),
        intensities=tuple(IntensityLine(*key, n) for key, n in intensities.items()),
        places=_unique(places),
        pue=_unique(pue),
        water=_unique(water),
        tools=_unique([r.tool for r in records]),
        notes=_unique([*load_notes, *(n for r in records for n in r.notes)]),
        unknown=tuple(f"{name} ({n} of {len(records)} runs)" for name, n in unknown.items()),
    )


def sources_of(
    runs: tuple[RunLine, ...], records: tuple[RunRecord, ...], what_if: WhatIf | None
) -> tuple[SourceLine, ...]:
    """Return every data set the report's figures rest on, once each."""
    found: dict[tuple[str, int | None], str] = {}

    def add(name: str, year: int | None, used_for: str) -> None:
        dated = _DATED.fullmatch(name)
        if dated is not None and year is None:  # rankings write "Ember (2025) 2023"
            name, year = dated.group(1), int(dated.group(2))
        key = (name, year)
        if used_for not in found.get(key, ""):
            found[key] = f"{found[key]}; {used_for}" if key in found else used_for

    for r in records:
        if r.intensity.source:
            add(r.intensity.source, r.intensity.year, "grid carbon intensity")
        if r.water_source and r.water_l:  # the source recorded with the run, not today's table
            add(r.water_source, r.water_year, "grid water intensity")
    for run in runs:
        for part in run.embodied.parts if run.embodied else ():
            add(part.source, None, "embodied emissions")
    for f in FACTORS:
        add(f.source, f.year, "equivalents")
    if what_if is not None:
        shown = (*what_if.countries_best, *what_if.countries_worst, *what_if.cloud_best)
        for place in (*shown, *what_if.cloud_worst, *what_if.months):
            add(place.source, None, "what-if intensities")
    return tuple(
        SourceLine(name, year, licence_of(name), used) for (name, year), used in found.items()
    )


def uncertainty_of(runs: tuple[RunLine, ...], records: tuple[RunRecord, ...]) -> tuple[str, ...]:
    """Return what a reader should keep in mind about the figures' accuracy."""
    notes = []
    counted = [r for r in runs if r.counted]
    by_origin = {r.origin: r for r in records}
    estimated = unknown = 0.0
    models: set[str] = set()
    for run in counted:
        for c in by_origin[run.origin].components:
            energy = c.it_energy_kwh or 0.0
            if c.measured is False and c.method != "none":
                estimated += energy
                models.add(c.method or "")
            elif c.measured is None:
                unknown += energy
    it_total = sum(r.it_energy_kwh or 0.0 for r in counted)
    if it_total > 0 and estimated > 0:
        notes.append(
            f"{100 * estimated / it_total:.0f}% of the IT energy is estimated "
            f"({', '.join(sorted(models))}), not measured by a hardware counter: a model "
            "(the TDP x load model is 0.57-3.67x RAPL on the profiles it was fitted on; the "
            "W per GB memory model 0.5-3x); the ranges shown carry each method's stated band "
            "(impact/SOURCES.md), a set power is taken as exact"
        )
    if it_total > 0 and unknown > 0:
        notes.append(
            f"{100 * unknown / it_total:.0f}% of the IT energy comes from files that do not "
            "say whether it was measured or estimated"
        )
    if any(r.inputs.intensity_kind != "marginal" for r in counted):
        notes.append(
            "grid intensities are averages (annual, or monthly where known) of the grid's "
            "generation, not the mix of the hours the runs used"
        )
    if any(r.inputs.intensity_implied for r in counted):
        notes.append("some intensities are implied by a file's emissions over its energy")
    if any(r.embodied for r in counted):
        guessed = any(r.embodied and not r.embodied.recorded for r in counted)
        notes.append(
            "embodied emissions use generic per-component figures and an assumed life"
            + (
                " (and, where the report estimated them, an assumed socket count)"
                if guessed
                else ""
            )
            + ", not the machine's own life-cycle assessment"
        )
    left_out = len(runs) - len(counted)
    if left_out:
        notes.append(f"{left_out} run(s) without a known energy or emissions are not counted")
    notes.append(
        "equivalents compare with averages (of cars, households, flights) and are orders "
        "of magnitude, not exact figures"
    )
    return tuple(notes)

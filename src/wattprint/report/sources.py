"""Methodology, data sources and uncertainty notes of a report.

The methodology says, over the report's runs, what was measured and what
estimated (and by which method), which intensity was used and where from,
how the place, PUE and water were obtained, and what each file did not say.
Sources list every data set a figure rests on, with its year and licence;
a licence is read from the source's own text where it names one (``(MIT)``,
``CC BY 4.0`` ...) and otherwise from a short list of publishers.

They are gathered run by run by :class:`wattprint.report.tally.Tally`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LICENCE = re.compile(
    r"CC BY(?:-SA)? \d\.\d|CC0(?: 1\.0)?|Apache-2\.0|ECL-2\.0|\bMIT\b|ODbL|public domain"
)
DATED = re.compile(r"(.+?),? ((?:19|20)\d\d)")
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

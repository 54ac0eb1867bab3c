"""The carbon intensity of the electricity used, with its provenance.

Which intensity applies is decided in ``plan.py`` and ``choice.py``, and
hour by hour in ``timeline.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

IntensityKind = Literal["average", "marginal"]


@dataclass(frozen=True, slots=True)
class Intensity:
    """A grid carbon intensity and where it came from.

    Attributes:
        intensity_g_per_kwh: lifecycle emissions per kWh consumed. Units: gCO2e/kWh.
        source: the data set or party, e.g. ``Ember yearly electricity data``.
        year: the year the figure describes, if known.
        kind: ``average`` (all generation) or ``marginal``.
        detail: one sentence for people.
    """

    intensity_g_per_kwh: float
    source: str
    year: int | None
    kind: IntensityKind
    detail: str

"""The small value types that say what a figure is about and where it came from.

They sit at the bottom of the layers so that results, records and reports can
carry them without importing the hardware (``power/``) or the grid
(``grid/``) that produce them:

- :class:`Location`: the place whose grid supplied a run, and how it was found;
- :class:`Intensity`: a grid carbon intensity, with its source, year, kind
  and basis;
- :data:`Component`: the class of hardware a figure belongs to;
- :data:`GpuAttribution`: how process mode shares a GPU.

``wattprint.grid.location``, ``wattprint.grid.intensity`` and
``wattprint.power.base`` re-export them under their old names.
"""

from __future__ import annotations

from typing import Literal

from wattprint._record import record

Component = Literal["cpu", "gpu", "ram", "soc"]
COMPONENTS: tuple[Component, ...] = ("cpu", "gpu", "ram", "soc")

GpuAttribution = Literal["process", "whole"]
"""How process mode charges a GPU: by its per-process data, or whole (dedicated to the run)."""

IntensityKind = Literal["average", "marginal"]

IntensityBasis = Literal["lifecycle", "direct"]
"""What an intensity counts: ``lifecycle`` greenhouse gases of building, fuelling
and running the plants (gCO2e/kWh, IPCC-style factors: wind and nuclear count
above zero), or ``direct`` CO2 from burning fuel at the plants only (gCO2/kWh,
about 10 % lower on fossil-heavy grids, zero for wind, hydro and nuclear).
Figures on different bases must not be compared as if the difference were
one of place or time."""

BASES: tuple[IntensityBasis, ...] = ("lifecycle", "direct")


@record(frozen=True, slots=True)
class Intensity:
    """A grid carbon intensity and where it came from.

    Attributes:
        intensity_g_per_kwh: emissions per kWh, on the figure's ``basis``.
            Units: gCO2e/kWh (gCO2/kWh for a ``direct`` figure).
        source: the data set or party, e.g. ``Ember yearly electricity data``.
        year: the year the figure describes, if known.
        kind: ``average`` (all generation) or ``marginal``.
        detail: one sentence for people.
        basis: ``lifecycle`` or ``direct`` (see :data:`IntensityBasis`);
            records written before the field existed read as ``lifecycle``,
            the basis of every country figure wattprint shipped then.
    """

    intensity_g_per_kwh: float
    source: str
    year: int | None
    kind: IntensityKind
    detail: str
    basis: IntensityBasis = "lifecycle"


@record(frozen=True, slots=True)
class Location:
    """The place whose grid supplies the run.

    Attributes:
        country_iso3: ISO 3166 alpha-3 code, ``WLD`` for the world average.
        country_iso2: ISO 3166 alpha-2 code, empty for the world.
        country_name: the country's name, for people.
        region: a sub-national region as given (state, province), if any.
        cloud_provider: ``gcp``, ``aws``, ``azure``, if known.
        cloud_region: the provider's region name, if known.
        how: how the place was found, e.g. ``argument country='FR'``.
    """

    country_iso3: str
    country_iso2: str
    country_name: str
    region: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None
    how: str = ""

    @property
    def is_world(self) -> bool:
        """True when no place is known and the world average stands in."""
        return self.country_iso3 == "WLD"


__all__ = [
    "BASES",
    "COMPONENTS",
    "Component",
    "Intensity",
    "IntensityBasis",
    "IntensityKind",
    "Location",
]

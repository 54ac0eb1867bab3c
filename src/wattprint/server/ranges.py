"""The low and high bounds of runs' energy and emissions, as SQL expressions and totals.

A wattprint run sends its bounds (:mod:`wattprint.impact.uncertainty`); the
server keeps them as sent. CodeCarbon's client sends none: its runs get the
band their methodology implies, as ``wattprint report`` gives CodeCarbon's
files (:func:`wattprint.report.runs.ranges_of`): no component's method is
known, so each takes the widest model band
(:data:`~wattprint.impact.uncertainty.UNKNOWN_BAND`), and the intensity, a
table's average, the average band. A wattprint run recorded before ranges
existed has none and is shown so ("no range"); totals count it at its value
in both bounds and say how many runs did so. Energies kWh, emissions kg CO2e.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wattprint.impact.uncertainty import INTENSITY_BANDS, UNKNOWN_BAND
from wattprint.server import models as m

CODECARBON_ENERGY = UNKNOWN_BAND
"""The band of a CodeCarbon run's energy: no method is named, the widest model band."""

CODECARBON_INTENSITY = INTENSITY_BANDS["average"]
"""The band of a CodeCarbon run's intensity: an annual average of its tables."""

IMPLIED_NOTE = (
    "implied for CodeCarbon's runs: the widest energy band "
    f"({CODECARBON_ENERGY.low_factor:.2f}-{CODECARBON_ENERGY.high_factor:.2f}x) and "
    f"an average intensity's ({CODECARBON_INTENSITY.low_factor:.1f}-"
    f"{CODECARBON_INTENSITY.high_factor:.1f}x)"
)
"""How a CodeCarbon run's range is made, for the pages."""


def _implied(column: Any, factor: float) -> Any:
    return case((m.Run.source == "codecarbon", column * factor), else_=None)


def bound(name: str, side: str) -> Any:
    """Return the SQL expression of a run's bound: sent, else implied, else NULL.

    Args:
        name: ``energy_kwh`` or ``emissions_kg``.
        side: ``low`` or ``high``.
    """
    if name not in ("energy_kwh", "emissions_kg") or side not in ("low", "high"):
        raise ValueError(f"no bound {name}_{side}: energy_kwh or emissions_kg, low or high")
    r = m.Run
    sent = getattr(r, f"{name}_{side}")
    energy = CODECARBON_ENERGY.low_factor if side == "low" else CODECARBON_ENERGY.high_factor
    factor = energy
    if name == "emissions_kg":
        factor *= (
            CODECARBON_INTENSITY.low_factor if side == "low" else CODECARBON_INTENSITY.high_factor
        )
    return func.coalesce(sent, _implied(getattr(r, name), factor))


def bound_columns() -> list[Any]:
    """Return the four bounds as labelled columns (``emissions_kg_low``, ...), for a select."""
    return [
        bound(name, side).label(f"{name}_{side}")
        for name in ("energy_kwh", "emissions_kg")
        for side in ("low", "high")
    ]


def range_kind() -> Any:
    """Return the SQL expression saying where a run's range comes from.

    ``sent`` (the client sent it), ``implied`` (CodeCarbon's) or ``none``.
    """
    r = m.Run
    return case(
        (r.emissions_kg_low.is_not(None), "sent"),
        (r.source == "codecarbon", "implied"),
        else_="none",
    )


@dataclass(frozen=True, slots=True)
class RangeTotals:
    """The bounds of some runs' totals: each run's bounds added (intervals add).

    Attributes:
        energy_kwh_low: Units: kWh.
        energy_kwh_high: Units: kWh.
        emissions_kg_low: Units: kg CO2e.
        emissions_kg_high: Units: kg CO2e.
        implied: runs whose range is implied (CodeCarbon's).
        without: runs with no range, counted at their value in both bounds.
    """

    energy_kwh_low: float
    energy_kwh_high: float
    emissions_kg_low: float
    emissions_kg_high: float
    implied: int
    without: int


def range_totals(db: Session, *conditions: Any) -> RangeTotals:
    """Return the summed bounds of the runs matching ``conditions`` (one SQL aggregate)."""
    r = m.Run
    kind = range_kind()
    sums = [
        func.coalesce(func.sum(func.coalesce(bound(name, side), getattr(r, name))), 0.0)
        for name in ("energy_kwh", "emissions_kg")
        for side in ("low", "high")
    ]
    row = db.execute(
        select(
            *sums,
            func.count(case((kind == "implied", 1))),
            func.count(case((kind == "none", 1))),
        ).where(*conditions)
    ).one()
    e_low, e_high, kg_low, kg_high, implied, without = tuple(row)
    return RangeTotals(float(e_low), float(e_high), float(kg_low), float(kg_high),
                       int(implied), int(without))  # fmt: skip

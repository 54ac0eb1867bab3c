"""What an intensity counts (its basis), checked where tables are read.

Every shipped intensity table has a ``basis`` column: ``lifecycle`` (gCO2e
over the plants' life cycle, as Ember's country figures) or ``direct`` (CO2
of the fuel burnt at the plants, as Ember's US and Indian state figures).
Two figures on different bases differ by what they count, not only by place
or time, so rankings compare like with like (:mod:`wattprint.advice.ranking`).
"""

from __future__ import annotations

from wattprint.provenance import BASES, IntensityBasis


def checked_basis(text: str) -> IntensityBasis:
    """Return ``text`` as a basis.

    Raises:
        ValueError: ``text`` is not ``lifecycle`` or ``direct``; the message
            names it and the accepted values.
    """
    value = text.strip() if isinstance(text, str) else text
    for basis in BASES:
        if value == basis:
            return basis
    raise ValueError(f"basis {text!r} is not one of {', '.join(BASES)}")


def basis_label(basis: IntensityBasis) -> str:
    """Return how a figure on ``basis`` is written for people.

    ``lifecycle`` -> ``lifecycle gCO2e/kWh``; ``direct`` -> ``direct CO2 of
    generation, gCO2/kWh``.
    """
    if basis == "direct":
        return "direct CO2 of generation, gCO2/kWh"
    return "lifecycle gCO2e/kWh"


__all__ = ["basis_label", "checked_basis"]

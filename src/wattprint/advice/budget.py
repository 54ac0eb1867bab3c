"""Budgets: an energy or carbon limit for a run, and when it is (or will be) reached.

A budget is ``2kg``, ``500g``, ``0.5kWh``, ``300Wh``... A run is warned at
80 % and at 100 % of it, each once; a projected overrun (from a prediction) is
warned as soon as the prediction's low end passes the budget. What happens at
100 % (warn, stop, a callback) is the tracker's and ``wattprint run``'s
business; this module only parses and compares. Pure functions.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from wattprint.errors import ConfigError

Quantity = Literal["energy_kwh", "emissions_kg"]

_UNITS: dict[str, tuple[Quantity, float]] = {
    "kwh": ("energy_kwh", 1.0),
    "wh": ("energy_kwh", 1e-3),
    "mwh": ("energy_kwh", 1e3),
    "kg": ("emissions_kg", 1.0),
    "g": ("emissions_kg", 1e-3),
    "t": ("emissions_kg", 1e3),
}
_ACCEPTED = (
    "an amount > 0 with a unit: kWh, Wh, MWh (energy) or kg, g, t (CO2e), e.g. 2kg or 0.5kWh"
)
_PATTERN = r"(?i)^\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*([a-z]+?)\s*(?:co2e?)?\s*$"
"""An amount and its unit (compiled on first use)."""

THRESHOLDS = (0.8, 1.0)
"""Shares of the budget at which the run is warned."""


@dataclass(frozen=True, slots=True)
class Budget:
    """A limit on a run's energy or emissions.

    Attributes:
        quantity: ``energy_kwh`` or ``emissions_kg``.
        limit: the limit, in kWh or kg CO2e.
        text: the budget as the user wrote it.
    """

    quantity: Quantity
    limit: float
    text: str

    def describe(self, value: float) -> str:
        """Say ``value`` against the budget, e.g. ``1.7 kg CO2e of a 2 kg CO2e budget (85 %)``."""
        unit = "kWh" if self.quantity == "energy_kwh" else "kg CO2e"
        return (
            f"{value:.4g} {unit} of a {self.limit:g} {unit} budget "
            f"({100 * value / self.limit:.0f} %)"
        )


def parse_budget(text: object, key: str = "budget") -> Budget:
    """Parse ``2kg``, ``500 g``, ``0.5kWh``...

    Raises:
        ConfigError: not an amount > 0 with a known unit; names the value.
    """
    if not isinstance(text, str):
        raise ConfigError(key, text, _ACCEPTED)
    match = re.match(_PATTERN, text)
    if match is None or match.group(2).lower() not in _UNITS:
        raise ConfigError(key, text, _ACCEPTED)
    quantity, factor = _UNITS[match.group(2).lower()]
    amount = float(match.group(1)) * factor
    if not (math.isfinite(amount) and amount > 0):
        raise ConfigError(key, text, _ACCEPTED)
    return Budget(quantity, amount, text.strip())


def budget_of(kwh: float | None, kg: float | None) -> tuple[Budget, ...]:
    """Return the budgets set as numbers (``budget_kwh=``, ``budget_kg=``).

    Raises:
        ConfigError: a limit that is not a finite number > 0.
    """
    out = []
    for key, value, quantity, unit in (
        ("budget_kwh", kwh, "energy_kwh", "kWh"),
        ("budget_kg", kg, "emissions_kg", "kg"),
    ):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value > 0
        ):
            raise ConfigError(key, value, f"a number of {unit} > 0, or None")
        out.append(Budget(quantity, float(value), f"{value:g}{unit}"))  # type: ignore[arg-type]
    return tuple(out)


def crossed(budget: Budget, before: float, now: float) -> tuple[float, ...]:
    """Return the thresholds (0.8, 1.0) that ``now`` reached and ``before`` had not."""
    return tuple(t for t in THRESHOLDS if before < t * budget.limit <= now)


def likely_overrun(budget: Budget, predicted_low: float) -> bool:
    """Tell whether even the low end of a prediction passes the budget."""
    return predicted_low > budget.limit

"""Budgets parsed and compared; the parity point of inference against training, by hand."""

from __future__ import annotations

import pytest

from wattprint.advice.budget import Budget, budget_of, crossed, likely_overrun, parse_budget
from wattprint.advice.parity import parity
from wattprint.errors import ConfigError


@pytest.mark.parametrize(
    "text, quantity, limit",
    [("2kg", "emissions_kg", 2.0), ("500 g", "emissions_kg", 0.5), ("0.5kWh", "energy_kwh", 0.5),
     ("300Wh", "energy_kwh", 0.3), ("1.5 t", "emissions_kg", 1500.0),
     ("2kgCO2e", "emissions_kg", 2.0), ("1e-3 MWh", "energy_kwh", 1.0)],
)  # fmt: skip
def test_budgets_parse(text: str, quantity: str, limit: float) -> None:
    budget = parse_budget(text)
    assert (budget.quantity, budget.limit) == (quantity, pytest.approx(limit))


@pytest.mark.parametrize("text", ["0kg", "-1kg", "2", "2 furlongs", "kg", "", "nan kg", 3])
def test_bad_budgets_name_the_value_and_the_units(text: object) -> None:
    with pytest.raises(ConfigError, match="kWh, Wh, MWh"):
        parse_budget(text)


def test_numeric_budgets_and_their_errors() -> None:
    assert budget_of(0.5, None) == (Budget("energy_kwh", 0.5, "0.5kWh"),)
    assert budget_of(None, 2) == (Budget("emissions_kg", 2.0, "2kg"),)
    with pytest.raises(ConfigError, match="budget_kg=0"):
        budget_of(None, 0)
    with pytest.raises(ConfigError, match="budget_kwh=-1"):
        budget_of(-1, None)


def test_thresholds_are_crossed_once_each() -> None:
    budget = parse_budget("1kWh")
    assert crossed(budget, 0.5, 0.79) == ()
    assert crossed(budget, 0.79, 0.8) == (0.8,)
    assert crossed(budget, 0.7, 1.2) == (0.8, 1.0)
    assert crossed(budget, 1.2, 1.5) == ()
    assert likely_overrun(budget, 1.01) and not likely_overrun(budget, 0.99)
    assert budget.describe(0.85) == "0.85 kWh of a 1 kWh budget (85 %)"


def test_parity_worked_by_hand() -> None:
    # Training 1000 kWh / 400 kg; 10,000 inferences used 2 kWh / 0.5 kg on another grid.
    p = parity(training_kwh=1000.0, training_kg=400.0, inference_kwh=2.0, inference_kg=0.5,
               units=10_000, unit="request", training_kwh_low=900.0, training_kwh_high=1200.0,
               inference_kwh_low=1.6, inference_kwh_high=2.5)  # fmt: skip
    assert p.per_unit_kwh == pytest.approx(2e-4)
    assert p.energy_units == pytest.approx(5_000_000)
    assert p.emissions_units == pytest.approx(8_000_000)  # 400 / (0.5 / 10,000)
    assert p.energy_units_low == pytest.approx(900.0 / 2.5e-4)
    assert p.energy_units_high == pytest.approx(1200.0 / 1.6e-4)


def test_parity_needs_counted_units() -> None:
    with pytest.raises(ConfigError, match="add_units"):
        parity(training_kwh=1.0, training_kg=1.0, inference_kwh=1.0, inference_kg=1.0, units=0)

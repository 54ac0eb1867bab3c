"""A budget watch warns at 80 % and 100 % once each, and acts as on_budget says."""

from __future__ import annotations

import logging
import pickle

import pytest

from wattprint import BudgetExceeded
from wattprint.advice.budget import parse_budget
from wattprint.errors import ConfigError
from wattprint.tracking.budgets import BudgetWatch, check_on_budget


def test_warns_once_at_80_and_100_percent(caplog: pytest.LogCaptureFixture) -> None:
    watch = BudgetWatch((parse_budget("1kWh"),), "warn")
    with caplog.at_level(logging.WARNING, logger="wattprint"):
        for kwh in (0.5, 0.81, 0.9, 1.01, 1.5):
            watch.update(energy_kwh=kwh, emissions_kg=0.0)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "0.81 kWh of a 1 kWh budget (81 %): 80 % of the budget is used" in messages[0]
    assert "budget reached: 1.01 kWh of a 1 kWh budget (101 %)" in messages[1]
    assert watch.exceeded is not None and not watch.stop_requested
    watch.raise_if_stopped()  # warn only: never raises


def test_stop_raises_once_at_the_next_task_boundary() -> None:
    watch = BudgetWatch((parse_budget("2kg"),), "stop")
    watch.update(energy_kwh=5.0, emissions_kg=1.0)
    watch.raise_if_stopped()
    watch.update(energy_kwh=9.0, emissions_kg=2.2)
    assert watch.stop_requested
    with pytest.raises(BudgetExceeded, match="budget 2kg exceeded: 2.2 kg CO2e of a 2 kg"):
        watch.raise_if_stopped()
    watch.raise_if_stopped()  # once


def test_a_callback_is_called_once_and_its_failure_is_contained(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[tuple[str, float]] = []

    def on_budget(budget: object, value: float) -> None:
        calls.append((str(getattr(budget, "text", "")), value))
        raise RuntimeError("callback broke")

    watch = BudgetWatch((parse_budget("1kWh"),), check_on_budget(on_budget))
    watch.update(energy_kwh=1.2, emissions_kg=0.0)
    watch.update(energy_kwh=1.4, emissions_kg=0.0)
    assert calls == [("1kWh", 1.2)]
    assert "on_budget callback failed" in caplog.text


def test_projected_overrun_is_warned_once(caplog: pytest.LogCaptureFixture) -> None:
    watch = BudgetWatch((parse_budget("1kWh"),))
    watch.project(energy_kwh_low=0.9, emissions_kg_low=0.0)
    watch.project(energy_kwh_low=1.2, emissions_kg_low=0.0)
    watch.project(energy_kwh_low=1.3, emissions_kg_low=0.0)
    assert caplog.text.count("likely to pass its budget") == 1


@pytest.mark.parametrize("value", ["explode", 3, None])
def test_bad_on_budget_names_the_value(value: object) -> None:
    with pytest.raises(ConfigError, match="on_budget"):
        check_on_budget(value)


def test_budget_exceeded_pickles() -> None:
    err = BudgetExceeded("2kg", 2.5, "2.5 kg CO2e of a 2 kg CO2e budget (125 %)")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.value == 2.5

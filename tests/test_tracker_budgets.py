"""Budgets and prediction on a real tracker, with a forced power and a fake clock.

36 W for 100 s is exactly 0.001 kWh, so the moment a budget is reached is known.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fakes.fake_clock import FakeClock

from wattprint import BudgetExceeded, Tracker
from wattprint.errors import ConfigError
from wattprint.records.read import read_records


def _tracker(tmp_path: Path, clock: FakeClock, **kwargs: object) -> Tracker:
    return Tracker(
        output_dir=tmp_path, country="FR", mode="machine", force_cpu_power_w=36.0,
        force_ram_power_w=0.0, clock=clock, handle_signals=False, interval_s=1.0,
        **kwargs,  # type: ignore[arg-type]
    )  # fmt: skip


def test_stop_raises_at_the_task_boundary_and_the_row_says_budget_exceeded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    tracker = _tracker(tmp_path, clock, budget_kwh=0.001, on_budget="stop")
    caplog.set_level(logging.WARNING, logger="wattprint")
    tracker.start()
    with tracker.task("epoch-1"):
        clock.advance(85.0)  # 0.00085 kWh: past 80 %, warned at the task's end
    assert "80 % of the budget is used" in caplog.text
    assert not tracker.over_budget
    tracker.start_task("epoch-2")
    clock.advance(20.0)  # 0.00105 kWh
    with pytest.raises(BudgetExceeded, match=r"budget 0.001kWh exceeded: 0.00105 kWh"):
        tracker.stop_task("epoch-2")
    assert tracker.over_budget
    tracker.start_task("epoch-3")  # raised once: the program decides what to do next
    tracker.stop_task("epoch-3")
    result = tracker.stop()
    assert result.status == "budget_exceeded"
    assert [t.name for t in result.tasks] == ["epoch-1", "epoch-2", "epoch-3"]
    (row,) = list(read_records(tmp_path / "emissions.csv"))
    assert row.status == "budget_exceeded"


def test_warn_only_never_raises_and_a_callback_is_called_once(tmp_path: Path) -> None:
    clock = FakeClock()
    calls: list[float] = []
    tracker = _tracker(tmp_path, clock, budget_kg=1e-6, on_budget=lambda b, v: calls.append(v))
    tracker.start()
    for _ in range(3):
        with tracker.task("step"):
            clock.advance(100.0)
    result = tracker.stop()
    assert result.status == "completed" and len(calls) == 1


def test_predict_from_progress(tmp_path: Path) -> None:
    clock = FakeClock()
    tracker = _tracker(tmp_path, clock, save_to_file=False)
    tracker.start()
    for epoch in range(1, 6):
        clock.advance(100.0)  # 0.001 kWh per epoch
        prediction = tracker.predict(epoch, 20)
    tracker.stop()
    assert prediction.method == "robust-rate"
    assert prediction.energy_kwh == pytest.approx(0.020)
    assert prediction.energy_kwh_low <= 0.020 <= prediction.energy_kwh_high
    assert prediction.duration_s == pytest.approx(2000.0)
    assert prediction.emissions_kg_low < prediction.emissions_kg < prediction.emissions_kg_high


def test_predict_warns_of_a_likely_overrun_and_checks_its_input(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    tracker = _tracker(tmp_path, clock, save_to_file=False, budget_kwh=0.005)
    caplog.set_level(logging.WARNING, logger="wattprint")
    tracker.start()
    for epoch in range(1, 4):
        clock.advance(100.0)
        tracker.predict(epoch, 20)  # 0.02 kWh predicted against 0.005
    assert caplog.text.count("likely to pass its budget") == 1
    with pytest.raises(ConfigError, match="done"):
        tracker.predict(2, 20)
    tracker.stop()


@pytest.mark.parametrize(
    "kwargs, key",
    [({"budget_kwh": 0}, "budget_kwh"), ({"budget_kg": -1}, "budget_kg"),
     ({"on_budget": "explode"}, "on_budget")],
)  # fmt: skip
def test_bad_budgets_name_the_value(tmp_path: Path, kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        _tracker(tmp_path, FakeClock(), **kwargs)


def test_kg_budget_counts_each_hour_at_the_intensity_the_result_uses(tmp_path: Path) -> None:
    """Across a month boundary the monthly tables differ: the budget sees what the row says."""
    clock = FakeClock(wall_s=1_714_518_000.0)  # 2024-04-30 23:00 UTC
    seen: list[float] = []
    tracker = _tracker(tmp_path, clock, budget_kg=1e-9, on_budget=lambda b, v: seen.append(v))
    tracker.start()
    with tracker.task("two hours"):
        for _ in range(72):
            clock.advance(100.0)
    result = tracker.stop()
    assert seen and seen[0] == pytest.approx(result.tasks[0].emissions_kg, rel=1e-6)
    annual = result.tasks[0].energy_kwh * tracker.grid.intensity.intensity_g_per_kwh / 1000
    assert abs(seen[0] - annual) > 0.01 * annual  # not the plan's single figure

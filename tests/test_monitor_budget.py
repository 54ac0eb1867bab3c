"""The training monitor's prediction and budget stop, without a framework."""

from __future__ import annotations

import pytest
from fakes.fake_clock import FakeClock

from wattprint import Tracker
from wattprint.integrations.monitor import PREFIX, TrainingMonitor


def test_the_monitor_predicts_and_asks_to_stop_at_the_budget() -> None:
    clock = FakeClock()
    tracker = Tracker(country="FR", save_to_file=False, force_cpu_power_w=36.0,
                      force_ram_power_w=0.0, mode="machine", clock=clock, handle_signals=False,
                      budget_kwh=0.0025, on_budget="stop")  # fmt: skip
    monitor = TrainingMonitor(tracker=tracker)
    monitor.total_epochs = 10
    tracker.start()
    monitor.begin()
    seen = []
    for epoch in range(1, 11):
        monitor.epoch_begin(epoch)
        clock.advance(100.0)  # 0.001 kWh an epoch
        figures = monitor.epoch_end()
        seen.append(figures)
        if monitor.should_stop:
            break
    assert epoch == 3 and monitor.should_stop
    assert seen[1][f"{PREFIX}predicted_energy_kwh"] == pytest.approx(0.010)
    result = tracker.stop()
    assert result.status == "budget_exceeded"

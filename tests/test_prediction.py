"""Predicting a run's total early: hand-worked cases, and accuracy on real-scale traces.

The accuracy check builds per-step series from the Zeus NSDI'23 GPU traces
(tests/fixtures/zeus/epochs.csv, built by scripts/build_zeus_fixture.py: the
measured epoch energy and epoch count of 192 training configurations on four
GPUs), with a slow warm-up (the first 2 % of steps cost 2.5x, give or take 30 %),
8 % log-normal noise per step, and a 5 % validation cost at each epoch's end.
After 20 % of each run, the true total must lie inside the predicted range in
at least 90 % of cases and the point estimate must be within 10 %.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from wattprint.advice.prediction import (
    Progress,
    carbontracker_energy_j,
    predict,
    warmup_intervals,
)
from wattprint.errors import ConfigError

ZEUS = Path(__file__).parent / "fixtures" / "zeus" / "epochs.csv"


def _series(
    epoch_j: float, epoch_s: float, epochs: int, rng: random.Random, per_epoch: int = 10
) -> list[Progress]:
    steps = epochs * per_epoch
    warm = max(1, steps // 50)
    energy = seconds = 0.0
    points = []
    for i in range(steps):
        factor = rng.lognormvariate(0.0, 0.08)
        if i < warm:
            factor *= 2.5 * rng.uniform(0.7, 1.3)
        if (i + 1) % per_epoch == 0:
            factor *= 1.05
        energy += epoch_j / per_epoch * factor
        seconds += epoch_s / per_epoch * factor
        points.append(Progress(i + 1, energy, seconds))
    return points


def test_a_constant_rate_is_predicted_exactly() -> None:
    points = [Progress(n, 100.0 * n, 2.0 * n) for n in range(1, 11)]
    p = predict(points, total=40, intensity_g_per_kwh=500.0, water_l_per_kwh=2.0)
    assert p.energy_kwh == pytest.approx(4000.0 / 3.6e6)
    assert p.duration_s == pytest.approx(80.0)
    assert p.emissions_kg == pytest.approx(4000.0 / 3.6e6 * 0.5)
    assert p.water_l == pytest.approx(4000.0 / 3.6e6 * 2.0)
    # No spread: the range is the 5 % drift floor on the remaining 3000 J.
    assert p.energy_kwh_low == pytest.approx(3850.0 / 3.6e6)
    assert p.energy_kwh_high == pytest.approx(4150.0 / 3.6e6)
    assert p.method == "robust-rate"


def test_the_warm_up_is_left_out() -> None:
    # First epoch 300 J (compilation), then 100 J per epoch.
    energies = [300.0, 100.0, 101.0, 99.0, 100.0]
    points, total = [], 0.0
    for n, e in enumerate(energies, start=1):
        total += e
        points.append(Progress(n, total, float(n)))
    assert warmup_intervals([300.0, 100.0, 101.0, 99.0, 100.0]) == 1
    p = predict(points, total=20, intensity_g_per_kwh=100.0)
    assert p.energy_kwh * 3.6e6 == pytest.approx(700.0 + 15 * 100.0, rel=0.01)
    assert "warm-up left out: first 1 interval(s)" in p.assumptions
    # carbontracker's formula charges the warm-up to every epoch.
    assert carbontracker_energy_j(energies[:1], 20) == 6000.0


def test_intensity_range_widens_the_emissions_range() -> None:
    points = [Progress(n, 10.0 * n, float(n)) for n in range(1, 6)]
    p = predict(points, total=10, intensity_g_per_kwh=200.0, intensity_low_g_per_kwh=100.0,
                intensity_high_g_per_kwh=400.0)  # fmt: skip
    assert p.emissions_kg_low == pytest.approx(p.energy_kwh_low * 0.1)
    assert p.emissions_kg_high == pytest.approx(p.energy_kwh_high * 0.4)
    assert p.emissions_kg_low < p.emissions_kg < p.emissions_kg_high


def test_few_points_fall_back_to_the_mean_with_a_wide_range() -> None:
    p = predict([Progress(2, 50.0, 4.0)], total=10, intensity_g_per_kwh=100.0)
    assert p.method == "mean-so-far"
    assert p.energy_kwh * 3.6e6 == pytest.approx(250.0)
    assert p.energy_kwh_low * 3.6e6 == pytest.approx(150.0)
    assert p.energy_kwh_high * 3.6e6 == pytest.approx(350.0)


@pytest.mark.parametrize(
    "points, total, key",
    [
        ([], 10, "progress"),
        ([Progress(2, 10.0, 1.0), Progress(1, 20.0, 2.0)], 10, "progress"),
        ([Progress(1, 10.0, 1.0), Progress(2, 5.0, 2.0)], 10, "progress"),
        ([Progress(5, 10.0, 1.0)], 4, "total"),
        ([Progress(5, 10.0, 1.0)], float("nan"), "total"),
    ],
)
def test_bad_progress_names_the_value(points: list[Progress], total: float, key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        predict(points, total=total, intensity_g_per_kwh=100.0)


def test_after_20_percent_the_truth_is_in_range_on_zeus_scale_traces() -> None:
    with open(ZEUS, newline="") as f:
        configs = list(csv.DictReader(f))
    assert len(configs) >= 150
    rng = random.Random(20261206)
    inside = within = 0
    cases = 0
    for row in configs:
        points = _series(float(row["epoch_energy_j"]), float(row["epoch_s"]),
                         int(row["epochs"]), rng)  # fmt: skip
        seen = max(3, len(points) // 5)
        p = predict(points[:seen], total=len(points), intensity_g_per_kwh=100.0)
        true_kwh = points[-1].energy_j / 3.6e6
        inside += p.energy_kwh_low <= true_kwh <= p.energy_kwh_high
        within += abs(p.energy_kwh - true_kwh) <= 0.10 * true_kwh
        cases += 1
    assert inside / cases >= 0.90, f"range held the truth in {inside}/{cases} runs"
    assert within / cases >= 0.95, f"point within 10 % in {within}/{cases} runs"

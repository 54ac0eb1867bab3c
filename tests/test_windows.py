"""The best start window, by the Carbon Aware SDK's rules, checked by hand and by brute force."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from wattprint.advice.forecast_text import parse_forecast
from wattprint.advice.windows import ForecastPoint, best_windows, window_average
from wattprint.errors import ConfigError

T0 = datetime(2026, 12, 6, 0, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def _hourly(*ratings: float, start: datetime = T0) -> list[ForecastPoint]:
    return [ForecastPoint(start + i * H, H, r) for i, r in enumerate(ratings)]


def test_the_sdk_documented_example_gives_70() -> None:
    points = _hourly(30, 100, 50, start=T0 + H)  # 01:00, 02:00, 03:00
    assert window_average(points, T0 + 1.5 * H, T0 + 3.5 * H) == pytest.approx(70.0)


def test_a_step_function_picks_the_low_step() -> None:
    points = _hourly(300, 300, 100, 100, 200, 300)
    (best,) = best_windows(points, 2 * H)
    assert best.start == T0 + 2 * H
    assert best.intensity_g_per_kwh == 100.0
    assert best.saving_percent == pytest.approx(100 * (300 - 100) / 300)


def test_ties_are_all_returned_earliest_first() -> None:
    points = _hourly(50, 200, 50, 200, 50)
    found = best_windows(points, H)
    assert [w.start for w in found] == [T0, T0 + 2 * H, T0 + 4 * H]


def test_partly_covered_points_are_time_weighted() -> None:
    points = _hourly(100, 200, 400)
    # A search start in the middle of a point: the first window is 00:30-01:30.
    found = best_windows(points, H, start=T0 + 0.5 * H)
    assert found[0].start == T0 + 0.5 * H
    assert found[0].intensity_g_per_kwh == pytest.approx(150.0)


def test_irregular_intervals_and_a_gap() -> None:
    points = [
        ForecastPoint(T0, timedelta(minutes=30), 100),
        ForecastPoint(T0 + timedelta(minutes=30), timedelta(minutes=90), 200),
        # a gap from 02:00 to 03:00: windows over it do not count
        ForecastPoint(T0 + 3 * H, H, 10),
        ForecastPoint(T0 + 4 * H, H, 10),
    ]
    (best,) = best_windows(points, 2 * H)
    assert best.start == T0 + 3 * H and best.intensity_g_per_kwh == 10
    assert window_average(points, T0 + H, T0 + 3 * H) is None


def test_a_window_longer_than_the_forecast_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="duration.*at most the search window"):
        best_windows(_hourly(1, 2, 3), 4 * H)


def test_no_covered_window_is_a_clear_error() -> None:
    points = [ForecastPoint(T0, H, 1), ForecastPoint(T0 + 2 * H, H, 1)]
    with pytest.raises(ConfigError, match="gaps"):
        best_windows(points, 2 * H, end=T0 + 3 * H)


def _brute(points: list[ForecastPoint], duration: timedelta) -> float:
    """Integrate minute by minute: the lowest average over windows starting at point times."""
    best = float("inf")
    end = max(p.end for p in points)
    for p in points:
        if p.time + duration > end:
            continue
        total, ok = 0.0, True
        minute = timedelta(minutes=1)
        t = p.time
        while t < p.time + duration:
            holding = [q for q in points if q.time <= t < q.end]
            if not holding:
                ok = False
                break
            total += holding[0].intensity_g_per_kwh
            t += minute
        if ok:
            best = min(best, total / (duration / minute))
    return best


def test_matches_a_brute_force_integrator_on_random_series() -> None:
    rng = random.Random(7)
    for _ in range(40):
        points, t = [], T0
        for _ in range(rng.randint(3, 12)):
            length = timedelta(minutes=rng.choice([15, 30, 60, 90]))
            if rng.random() < 0.15:
                t += timedelta(minutes=30)  # a gap
            points.append(ForecastPoint(t, length, float(rng.randint(20, 500))))
            t += length
        duration = timedelta(minutes=rng.choice([30, 60, 120]))
        try:
            found = best_windows(points, duration)
        except ConfigError:
            assert _brute(points, duration) == float("inf")
            continue
        assert found[0].intensity_g_per_kwh == pytest.approx(_brute(points, duration))


def test_sdk_json_forecast_data_and_csv_are_read() -> None:
    sdk = [{"Location": "eastus", "Time": "2026-12-06T00:00:00Z", "Rating": 30,
            "Duration": "01:00:00"},
           {"location": "eastus", "time": "2026-12-06T01:00:00+00:00", "rating": 60,
            "duration": 60}]  # fmt: skip
    api = [{"location": "eastus", "forecastData": [
        {"location": "eastus", "timestamp": "2026-12-06T00:00:00Z", "duration": 60, "value": 30},
        {"location": "eastus", "timestamp": "2026-12-06T01:00:00Z", "duration": 60, "value": 60},
    ]}]  # fmt: skip
    text = "time,intensity_g_per_kwh\n2026-12-06T00:00:00Z,30\n2026-12-06T01:00:00Z,60\n"
    expected = _hourly(30, 60)
    assert parse_forecast(json.dumps(sdk), "sdk.json") == expected
    assert parse_forecast(json.dumps(api), "api.json") == expected
    assert parse_forecast(text, "f.csv") == expected


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "forecast"),
        ("a,b\n1,2\n", "time,intensity_g_per_kwh"),
        ("time,intensity_g_per_kwh\n2026-12-06T00:00:00,30\n2026-12-06T01:00:00,40\n", "zone"),
        ("time,intensity_g_per_kwh\n2026-12-06T00:00:00Z,lots\n", "f.csv:2"),
        ('[{"Time": "2026-12-06T00:00:00Z", "Rating": 3}]', "Duration"),
        ("[oops", "valid JSON"),
    ],
)
def test_malformed_forecasts_name_what_is_wrong(text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        parse_forecast(text, "f.csv")

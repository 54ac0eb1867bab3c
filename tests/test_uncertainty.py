"""Uncertainty ranges: bands per method, interval arithmetic, and the ranges of a real run.

Every figure is worked out by hand in the comments; a forced value is exact,
and every range holds its value (low <= value <= high).
"""

from __future__ import annotations

import pytest
from fakes.fake_clock import FakeClock

from wattprint.impact.uncertainty import (
    ENERGY_BANDS,
    EXACT,
    INTENSITY_BANDS,
    UNKNOWN_BAND,
    Band,
    Interval,
    band_of,
    embodied_interval,
    emissions_interval,
    emissions_of,
    facility_energy_interval,
    it_energy_interval,
    sampling_fraction,
    water_interval,
)
from wattprint.records.run_dict import run_from_dict, run_to_dict
from wattprint.results import RunResult
from wattprint.tracking.tracker import Tracker


def _approx(interval: Interval, low: float, value: float, high: float) -> None:
    assert (interval.low, interval.value, interval.high) == pytest.approx((low, value, high))


def test_each_method_has_its_stated_band() -> None:
    assert band_of("rapl", 60.0) == ENERGY_BANDS["rapl"]
    assert (ENERGY_BANDS["rapl"].low_factor, ENERGY_BANDS["rapl"].high_factor) == (0.95, 1.05)
    assert (ENERGY_BANDS["nvml-energy"].low_factor, ENERGY_BANDS["nvml-energy"].high_factor) == (
        0.95,
        1.05,
    )
    # the CPU model is 0.57-3.67x RAPL: the truth lies in value / 3.67 .. value / 0.57
    model = band_of("tdp-x-load", 60.0)
    assert model.of(3.67).low == pytest.approx(1.0) and model.of(0.57).high == pytest.approx(1.0)
    assert band_of("constant", 60.0) == EXACT and band_of("none", 1.0) == EXACT
    assert band_of("a-method-nobody-knows", 60.0) == UNKNOWN_BAND


def test_polled_power_adds_its_sampling_error() -> None:
    # 10 Hz over 20 s: one 0.1 s period at an edge is 0.5 % of the energy
    assert sampling_fraction(0.1, 20.0) == pytest.approx(0.005)
    assert sampling_fraction(0.1, 0.05) == 1.0 and sampling_fraction(0.1, 0.0) == 1.0
    band = band_of("nvml-power-polling", 20.0)
    assert (band.low_factor, band.high_factor) == pytest.approx((0.945, 1.055))
    # GPUs of two methods: the widest of the parts
    mixed = band_of("nvml-energy+nvml-power-polling", 20.0)
    assert (mixed.low_factor, mixed.high_factor) == pytest.approx((0.945, 1.055))
    # a window shorter than a period: the polled figure can be off by all of it
    assert band_of("nvml-power-polling", 0.05).low_factor == 0.0


def test_intervals_add_and_scale_by_hand() -> None:
    # 1.0 kWh by RAPL (0.95 .. 1.05) + 0.5 kWh forced (exact) = 1.45 .. 1.5 .. 1.55
    it = it_energy_interval([(1.0, ENERGY_BANDS["rapl"]), (0.5, EXACT)])
    _approx(it, 1.45, 1.5, 1.55)
    # x PUE 1.2: 1.74 .. 1.8 .. 1.86
    _approx(facility_energy_interval(it, 1.2), 1.74, 1.8, 1.86)
    # energy 1.6 .. 2 .. 2.4 kWh x intensity 70 .. 100 .. 130 g/kWh
    energy = Interval(1.6, 2.0, 2.4)
    _approx(emissions_of(energy, Interval(70.0, 100.0, 130.0)), 0.112, 0.2, 0.312)


def test_emissions_take_the_energy_and_the_intensity_bands() -> None:
    # 0.2 kg from 2 kWh (1.6 .. 2.4) at an annual average (+-30 %):
    # 0.2 x 0.8 x 0.7 = 0.112 .. 0.2 x 1.2 x 1.3 = 0.312
    average = INTENSITY_BANDS["average"]
    _approx(emissions_interval(Interval(1.6, 2.0, 2.4), average, 0.2), 0.112, 0.2, 0.312)
    # a set intensity and exact energy: exact
    _approx(emissions_interval(Interval.exact(2.0), INTENSITY_BANDS["set"], 0.2), 0.2, 0.2, 0.2)
    # no energy: the emissions are what they are
    _approx(emissions_interval(Interval.exact(0.0), average, 0.0), 0.0, 0.0, 0.0)


def test_water_and_embodied_ranges() -> None:
    # 2 kWh (1.8 .. 2.2) x (WUE 0.2 + PUE 1.1 x 1.5 L/kWh) = 3.7 L, 3.33 .. 4.07
    water = water_interval(
        Interval(1.8, 2.0, 2.2), pue=1.1, wue_l_per_kwh=0.2, grid_water_l_per_kwh=1.5
    )
    _approx(water, 3.33, 3.7, 4.07)
    _approx(embodied_interval(0.01, Band(0.5, 2.0, "test")), 0.005, 0.01, 0.02)
    _approx(embodied_interval(0.01, EXACT), 0.01, 0.01, 0.01)


def _run(**kwargs: object) -> RunResult:
    clock = FakeClock()
    args: dict[str, object] = {
        "country": "FR", "save_to_file": False, "force_cpu_power_w": 20.0,
        "force_ram_power_w": 4.0, "mode": "machine", "interval_s": 1.0, "clock": clock,
        "handle_signals": False,
    }  # fmt: skip
    args.update(kwargs)
    tracker = Tracker(**args)  # type: ignore[arg-type]
    tracker.start()
    clock.advance(10.0)
    tracker.flush()
    return tracker.stop()


def test_forced_values_give_exact_figures() -> None:
    r = _run(force_intensity_g_per_kwh=100.0, embodied_kg=500.0)
    assert r.energy_kwh_low == r.energy_kwh == r.energy_kwh_high
    assert r.emissions_kg_low == r.emissions_kg == r.emissions_kg_high
    assert r.water_l_low == r.water_l == r.water_l_high
    assert r.embodied_kg_low == r.embodied_kg == r.embodied_kg_high


def test_a_run_carries_its_ranges_and_they_survive_the_json_form() -> None:
    r = _run()  # forced powers (exact energy), France's annual average (+-30 %)
    assert r.energy_kwh_low == pytest.approx(r.energy_kwh) == r.energy_kwh_high
    assert r.emissions_kg_low == pytest.approx(r.emissions_kg * 0.7)
    assert r.emissions_kg_high == pytest.approx(r.emissions_kg * 1.3)
    assert r.embodied_kg_low == pytest.approx(r.embodied_kg * 0.5)
    assert r.embodied_kg_high == pytest.approx(r.embodied_kg * 2.0)
    for task in r.tasks:
        assert task.emissions_kg_low is not None
    back = run_from_dict(run_to_dict(r))
    assert back == r
    old = run_to_dict(r)
    for key in ("energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high"):
        del old[key]
    assert run_from_dict(old).emissions_kg_low is None  # an older record reads, range unknown


def test_the_run_summary_shows_the_range(capsys: pytest.CaptureFixture[str]) -> None:
    from wattprint.cli.render import print_summary

    clock = FakeClock()
    tracker = Tracker(
        country="FR", save_to_file=False, force_cpu_power_w=20.0, force_ram_power_w=4.0,
        mode="machine", interval_s=1.0, clock=clock, handle_signals=False,
    )  # fmt: skip
    tracker.start()
    clock.advance(3600.0)
    tracker.flush()
    r = tracker.stop()
    print_summary(r, tracker)
    err = capsys.readouterr().err
    # 24 W for 1 h = 24 Wh, exact; France's average: emissions x 0.7 .. x 1.3
    assert "24 Wh, 24–24," in err
    mg = r.emissions_kg * 1e6  # about 500 mg at France's ~21 g/kWh
    assert 100 < mg < 1000
    assert r.emissions_kg_low == pytest.approx(r.emissions_kg * 0.7)
    assert r.emissions_kg_high == pytest.approx(r.emissions_kg * 1.3)
    low, high = (f"{mg * k:.0f}" for k in (0.7, 1.3))  # in mg, the unit of the value
    assert f"{mg:.0f} mg CO2e, {low}–{high} at" in err

"""The impact formulas, each checked against an example worked by hand."""

from __future__ import annotations

import pytest

from wattprint.impact.carbon import emissions_kg, facility_energy_kwh
from wattprint.impact.hourly import hourly_emissions_kg
from wattprint.impact.water import water_l


def test_facility_energy() -> None:
    # 2 kWh of IT load at PUE 1.5 draws 2 x 1.5 = 3 kWh.
    assert facility_energy_kwh(2.0, 1.5) == pytest.approx(3.0)


def test_emissions() -> None:
    # 3 kWh at 56 g/kWh = 168 g = 0.168 kg.
    assert emissions_kg(3.0, 56.0) == pytest.approx(0.168)


def test_water() -> None:
    # 2 kWh x (0.2 + 1.1 x 1.5) = 2 x 1.85 = 3.7 L.
    assert water_l(2.0, pue=1.1, wue_l_per_kwh=0.2, grid_water_l_per_kwh=1.5) == pytest.approx(3.7)


def test_hourly_emissions() -> None:
    # 1 kWh x 100 g + 2 kWh x 50 g = 200 g = 0.2 kg.
    assert hourly_emissions_kg({0: 1.0, 3600: 2.0}, {0: 100.0, 3600: 50.0}) == pytest.approx(0.2)
    with pytest.raises(KeyError):
        hourly_emissions_kg({0: 1.0}, {})


def test_energy_is_cut_at_utc_hours() -> None:
    from wattprint.tracking.meter import Totals, difference, split_by_hour

    # 90 J over 10:59:30 to 11:01:00 (90 s): 30 s in hour 10, 60 s in hour 11.
    start = 10 * 3600 + 59 * 60 + 30
    parts = split_by_hour(start, start + 90, 90.0)
    assert parts == {36000: pytest.approx(30.0), 39600: pytest.approx(60.0)}
    # Two snapshots: only what accumulated between them remains.
    a = Totals(monotonic_s=0.0, hourly_j=((36000, 30.0),))
    b = Totals(monotonic_s=1.0, hourly_j=((36000, 30.0), (39600, 60.0)))
    assert difference(b, a).hourly_j == ((39600, 60.0),)

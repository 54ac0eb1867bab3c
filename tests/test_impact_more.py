"""Equivalents, embodied emissions and SCI, each checked against arithmetic done by hand."""

from __future__ import annotations

import math
import pickle

import pytest

from wattprint.errors import ConfigError
from wattprint.impact.carbon import emissions_kg
from wattprint.impact.embodied import (
    CHASSIS_KG,
    DEFAULT_LIFETIME_YEARS,
    GPU_BOARD_CLASSES,
    RAM_KG_PER_GB,
    S_PER_YEAR,
    EmbodiedPart,
    default_embodied,
    embodied_share_kg,
    gpu_board_class,
)
from wattprint.impact.equivalents import (
    FACTORS,
    PARIS_NEW_YORK_KM,
    Equivalent,
    Factor,
    equivalents,
)
from wattprint.impact.sci import Sci, sci

BY_KEY = {f.key: f for f in FACTORS}

# -- equivalents: every factor's figure ---------------------------------------


def test_factor_keys_are_unique_and_every_factor_is_cited() -> None:
    assert len(BY_KEY) == len(FACTORS) == 8
    for f in FACTORS:
        assert f.source and f.label and f.unit
        assert 2000 <= f.year <= 2025


def test_car_factors() -> None:
    # EEA, new cars registered in Europe in 2020: 107.5 g/km = 0.1075 kg/km.
    eu = BY_KEY["car_km_eu"]
    assert (eu.basis, eu.unit, eu.year) == ("emissions", "km", 2020)
    assert eu.per_unit == pytest.approx(0.1075)
    # US EPA: 404 g/mile / 1.609344 km/mile = 251.034 g/km = 0.251034 kg/km,
    # which Green Algorithms rounds to 251 g/km.
    us = BY_KEY["car_km_us"]
    assert (us.basis, us.unit, us.year) == ("emissions", "km", 2018)
    assert us.per_unit == pytest.approx(0.251034, rel=1e-6)
    assert us.per_unit == pytest.approx(0.251, abs=0.0005)


def test_tv_factor() -> None:
    # IEA 2020: a 50-inch TV uses 0.12 kWh in an hour (120 W x 1 h).
    tv = BY_KEY["tv_hours"]
    assert (tv.basis, tv.unit) == ("energy", "h")
    assert tv.per_unit == pytest.approx(0.12)


def test_household_factors() -> None:
    # US EIA: 10,715 kWh in 2020, a leap year: 10,715 / 366 = 29.2760 kWh a day.
    us = BY_KEY["household_days_us"]
    assert us.basis == "energy"
    assert us.per_unit == pytest.approx(29.275956, rel=1e-6)
    # ODYSSEE-MURE: 3,600 kWh a year per EU dwelling: 3,600 / 365 = 9.8630 kWh a day.
    eu = BY_KEY["household_days_eu"]
    assert eu.basis == "energy"
    assert eu.per_unit == pytest.approx(9.863014, rel=1e-6)


def test_smartphone_factor() -> None:
    # US EPA equivalencies (2024 revision): 0.019 kWh per full charge.
    phone = BY_KEY["smartphone_charges"]
    assert phone.basis == "energy"
    assert phone.per_unit == pytest.approx(0.019)


def test_flight_factor() -> None:
    # 5,833 km x 0.171 kg CO2e per passenger-km = 997.443 kg per passenger.
    flight = BY_KEY["flight_paris_new_york"]
    assert flight.basis == "emissions"
    assert flight.per_unit == pytest.approx(997.443)


def test_paris_new_york_distance_is_the_great_circle() -> None:
    # Haversine, CDG (49.0097 N, 2.5479 E) to JFK (40.6413 N, 73.7781 W),
    # Earth radius 6,371.0088 km: 5,833.5 km, rounded to 5,833 km.
    la1, lo1, la2, lo2 = map(math.radians, (49.0097, 2.5479, 40.6413, -73.7781))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    assert 2 * 6371.0088 * math.asin(math.sqrt(h)) == pytest.approx(PARIS_NEW_YORK_KM, abs=1.0)


def test_tree_factor() -> None:
    # Akbari 2002 via Green Algorithms: 11,000 g CO2 per tree-year = 11 kg.
    tree = BY_KEY["tree_years"]
    assert tree.basis == "emissions"
    assert tree.per_unit == pytest.approx(11.0)


# -- equivalents: the formula --------------------------------------------------


def test_equivalents_divide_by_the_right_quantity() -> None:
    found = {e.factor.key: e.value for e in equivalents(emissions_kg=10.0, energy_kwh=5.0)}
    # Emissions-based: 10 kg CO2e / kg per unit.
    assert found["car_km_eu"] == pytest.approx(93.0233, rel=1e-5)  # 10 / 0.1075
    assert found["car_km_us"] == pytest.approx(39.8352, rel=1e-5)  # 10 / 0.251034
    assert found["flight_paris_new_york"] == pytest.approx(0.0100256, rel=1e-5)  # 10 / 997.443
    assert found["tree_years"] == pytest.approx(0.909091, rel=1e-5)  # 10 / 11
    # Energy-based: 5 kWh / kWh per unit.
    assert found["tv_hours"] == pytest.approx(41.6667, rel=1e-5)  # 5 / 0.12
    assert found["household_days_us"] == pytest.approx(0.170789, rel=1e-5)  # 5 / 29.2760
    assert found["household_days_eu"] == pytest.approx(0.506944, rel=1e-5)  # 5 / 9.86301
    assert found["smartphone_charges"] == pytest.approx(263.158, rel=1e-5)  # 5 / 0.019


def test_equivalents_keep_the_order_and_accept_other_factors() -> None:
    result = equivalents(emissions_kg=1.0, energy_kwh=2.0)
    assert tuple(e.factor for e in result) == FACTORS
    kettle = Factor(
        key="kettle",
        label="kettle boils",
        basis="energy",
        per_unit=0.1,
        unit="boil",
        source="test",
        year=2020,
    )
    # 2 kWh / 0.1 kWh per boil = 20 boils.
    (boils,) = equivalents(emissions_kg=1.0, energy_kwh=2.0, factors=(kettle,))
    assert isinstance(boils, Equivalent)
    assert boils.factor is kettle
    assert boils.value == pytest.approx(20.0)
    assert all(e.value == 0 for e in equivalents(emissions_kg=0.0, energy_kwh=0.0))


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"emissions_kg": -1.0, "energy_kwh": 1.0}, "emissions_kg"),
        ({"emissions_kg": 1.0, "energy_kwh": -0.5}, "energy_kwh"),
        ({"emissions_kg": math.nan, "energy_kwh": 1.0}, "emissions_kg"),
        ({"emissions_kg": 1.0, "energy_kwh": math.inf}, "energy_kwh"),
    ],
)
def test_equivalents_refuse_bad_inputs(kwargs: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        equivalents(emissions_kg=kwargs["emissions_kg"], energy_kwh=kwargs["energy_kwh"])
    assert err.value.key == key
    assert repr(kwargs[key]) in str(err.value)


def test_factor_refuses_a_zero_or_unknown_basis() -> None:
    with pytest.raises(ConfigError, match="per_unit=0.0"):
        Factor(key="x", label="x", basis="energy", per_unit=0.0, unit="x", source="x", year=2020)
    with pytest.raises(ConfigError, match="basis='water'"):
        Factor(
            key="x",
            label="x",
            basis="water",  # type: ignore[arg-type]
            per_unit=1.0,
            unit="x",
            source="x",
            year=2020,
        )


# -- embodied: the SCI share ---------------------------------------------------


def test_embodied_share() -> None:
    # 4 years x 365 d x 86,400 s = 126,144,000 s.
    assert DEFAULT_LIFETIME_YEARS * S_PER_YEAR == 126_144_000
    # 1,000 kg x 3,600 s / 126,144,000 s = 0.0285388 kg.
    assert embodied_share_kg(total_embodied_kg=1000.0, duration_s=3600.0) == pytest.approx(
        0.0285388, rel=1e-5
    )
    # The same on a quarter of the machine: 0.0285388 x 0.25 = 0.0071347 kg.
    assert embodied_share_kg(
        total_embodied_kg=1000.0, duration_s=3600.0, reserved_share=0.25
    ) == pytest.approx(0.0071347, rel=1e-5)
    # One day over 6 years: 1,000 x 86,400 / (6 x 31,536,000) = 0.456621 kg.
    assert embodied_share_kg(
        total_embodied_kg=1000.0, duration_s=86_400.0, lifetime_years=6.0
    ) == pytest.approx(0.456621, rel=1e-5)
    # The whole lifetime on the whole machine charges the whole total.
    assert embodied_share_kg(total_embodied_kg=1000.0, duration_s=4 * S_PER_YEAR) == pytest.approx(
        1000.0
    )


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"total_embodied_kg": -1.0, "duration_s": 1.0}, "total_embodied_kg"),
        ({"total_embodied_kg": 1.0, "duration_s": -1.0}, "duration_s"),
        ({"total_embodied_kg": 1.0, "duration_s": 1.0, "lifetime_years": 0.0}, "lifetime_years"),
        ({"total_embodied_kg": 1.0, "duration_s": 1.0, "reserved_share": 1.5}, "reserved_share"),
        ({"total_embodied_kg": 1.0, "duration_s": 1.0, "reserved_share": -0.1}, "reserved_share"),
        ({"total_embodied_kg": math.nan, "duration_s": 1.0}, "total_embodied_kg"),
    ],
)
def test_embodied_share_refuses_bad_inputs(kwargs: dict[str, float], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        embodied_share_kg(**kwargs)
    assert err.value.key == key
    assert repr(kwargs[key]) in str(err.value)


# -- embodied: the default estimate --------------------------------------------


def test_component_figures() -> None:
    # RAM: 533 kg / 384 GB = 1.388021 kg/GB.
    assert RAM_KG_PER_GB == pytest.approx(1.388021, rel=1e-6)
    # Chassis: 1,000 - 100 (one socket) - 16 x 1.388021 (22.2083) = 877.7917 kg.
    assert CHASSIS_KG == pytest.approx(877.7917, rel=1e-6)
    # GPU boards: A100 40 GB 127.6; H100 1,312 / 8 = 164; B200 2,274 / 8 = 284.25.
    assert [c.kg_each for c in GPU_BOARD_CLASSES] == pytest.approx([127.6, 164.0, 284.25])


def test_baseline_server_is_ccf_baseline() -> None:
    # 877.7917 + 1 x 100 + 16 x 1.388021 = 877.7917 + 100 + 22.2083 = 1,000 kg.
    estimate = default_embodied(cpu_sockets=1, ram_gb=16.0)
    assert estimate.total_kg == pytest.approx(1000.0)
    assert [p.component for p in estimate.parts] == [
        "server chassis, mainboard, PSUs and fans",
        "cpu socket",
        "ram (per GB)",
    ]
    assert all(p.source for p in estimate.parts)


def test_gpu_server() -> None:
    # 2 sockets, 256 GB, GPUs of 80, 80 and 40 GB:
    # 877.7917 + 2 x 100 + 256 x 1.388021 + 2 x 164 + 1 x 127.6
    # = 877.7917 + 200 + 355.3333 + 328 + 127.6 = 1,888.725 kg.
    estimate = default_embodied(cpu_sockets=2, ram_gb=256.0, gpu_memory_gb=(80.0, 80.0, 40.0))
    assert estimate.total_kg == pytest.approx(1888.725)
    gpus = [p for p in estimate.parts if p.component.startswith("gpu")]
    assert [(p.component, p.count) for p in gpus] == [
        ("gpu board (up to 40 GB)", 1),
        ("gpu board (up to 80 GB)", 2),
    ]
    # Its share for 1 h on 1/8 of it: 1,888.725 x 3,600 / 126,144,000 x 0.125 = 0.0067377 kg.
    share = embodied_share_kg(
        total_embodied_kg=estimate.total_kg, duration_s=3600.0, reserved_share=0.125
    )
    assert share == pytest.approx(0.0067377, rel=1e-4)


@pytest.mark.parametrize(
    ("memory_gb", "kg_each"),
    [(16.0, 127.6), (40.0, 127.6), (48.0, 164.0), (80.0, 164.0), (141.0, 284.25), (180.0, 284.25)],
)
def test_gpu_memory_classes(memory_gb: float, kg_each: float) -> None:
    assert gpu_board_class(memory_gb).kg_each == pytest.approx(kg_each)


def test_components_can_be_counted_alone() -> None:
    # One H200 (141 GB) board without the server around it: 284.25 kg.
    estimate = default_embodied(cpu_sockets=0, ram_gb=0.0, gpu_memory_gb=(141.0,), chassis=False)
    assert estimate.parts == (
        EmbodiedPart("gpu board (over 80 GB)", 1, 284.25, GPU_BOARD_CLASSES[2].source),
    )
    assert estimate.total_kg == pytest.approx(284.25)
    assert default_embodied(cpu_sockets=0, ram_gb=0.0, chassis=False).total_kg == 0


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        ({"cpu_sockets": -1, "ram_gb": 16.0}, "cpu_sockets"),
        ({"cpu_sockets": 1.5, "ram_gb": 16.0}, "cpu_sockets"),
        ({"cpu_sockets": True, "ram_gb": 16.0}, "cpu_sockets"),
        ({"cpu_sockets": 1, "ram_gb": -8.0}, "ram_gb"),
        ({"cpu_sockets": 1, "ram_gb": 16.0, "gpu_memory_gb": (80.0, 0.0)}, "gpu_memory_gb"),
        ({"cpu_sockets": 1, "ram_gb": 16.0, "gpu_memory_gb": (math.nan,)}, "gpu_memory_gb"),
    ],
)
def test_default_embodied_refuses_bad_inputs(kwargs: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        default_embodied(**kwargs)  # type: ignore[arg-type]
    assert err.value.key == key
    bad = kwargs[key]
    shown = bad[-1] if isinstance(bad, tuple) else bad
    assert repr(shown) in str(err.value)


# -- SCI -----------------------------------------------------------------------


def test_sci() -> None:
    # E x I = 2 kWh x 300 g/kWh = 600 g; M = 0.05 kg = 50 g; R = 100 requests:
    # SCI = (600 + 50) / 100 = 6.5 g per request; 2 / 100 = 0.02 kWh and
    # 3 L / 100 = 0.03 L per request.
    result = sci(
        energy_kwh=2.0,
        intensity_g_per_kwh=300.0,
        embodied_kg=0.05,
        water_l=3.0,
        units=100.0,
        unit="request",
    )
    assert isinstance(result, Sci)
    assert result.g_per_unit == pytest.approx(6.5)
    assert result.energy_kwh_per_unit == pytest.approx(0.02)
    assert result.water_l_per_unit == pytest.approx(0.03)
    assert result.operational_g == pytest.approx(600.0)
    assert result.embodied_g == pytest.approx(50.0)
    assert (result.units, result.unit) == (100.0, "request")
    # The operational part is the same formula as carbon.emissions_kg: 0.6 kg.
    assert result.operational_g / 1000 == pytest.approx(emissions_kg(2.0, 300.0))
    assert pickle.loads(pickle.dumps(result)) == result


def test_sci_with_the_embodied_share() -> None:
    # A 1,000 kg server for 1 h: M = 0.0285388 kg = 28.5388 g (see test_embodied_share).
    # 0.5 kWh at 56 g/kWh = 28 g. One training run: SCI = 28 + 28.5388 = 56.5388 g.
    m_kg = embodied_share_kg(total_embodied_kg=1000.0, duration_s=3600.0)
    result = sci(
        energy_kwh=0.5,
        intensity_g_per_kwh=56.0,
        embodied_kg=m_kg,
        water_l=0.0,
        units=1.0,
        unit="training run",
    )
    assert result.g_per_unit == pytest.approx(56.5388, rel=1e-5)


@pytest.mark.parametrize(
    ("changed", "key"),
    [
        ({"units": 0.0}, "units"),
        ({"units": -3.0}, "units"),
        ({"units": math.nan}, "units"),
        ({"unit": "  "}, "unit"),
        ({"energy_kwh": -1.0}, "energy_kwh"),
        ({"intensity_g_per_kwh": -5.0}, "intensity_g_per_kwh"),
        ({"embodied_kg": math.inf}, "embodied_kg"),
        ({"water_l": -0.1}, "water_l"),
    ],
)
def test_sci_refuses_bad_inputs(changed: dict[str, object], key: str) -> None:
    kwargs: dict[str, object] = {
        "energy_kwh": 1.0,
        "intensity_g_per_kwh": 100.0,
        "embodied_kg": 0.0,
        "water_l": 0.0,
        "units": 1.0,
        "unit": "request",
    }
    kwargs.update(changed)
    with pytest.raises(ConfigError) as err:
        sci(**kwargs)  # type: ignore[arg-type]
    assert err.value.key == key
    assert repr(changed[key]) in str(err.value)

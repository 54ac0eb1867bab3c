"""Tests of CPU TDP matching and the load curve, against the shipped tables."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, DataError
from wattprint.power.cpu.models import CpuMatch, CpuTable, LoadCurve, normalize_brand


@pytest.fixture(scope="module")
def table() -> CpuTable:
    return CpuTable()


@pytest.mark.parametrize(
    ("brand", "entry", "tdp_w", "how"),
    [
        # TDPs as in cpu_tdp.csv (CodeCarbon's cpu_power.csv).
        ("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", "Intel Xeon E5-2620 v3", 85.0, "normalized"),
        ("AMD EPYC 7763 64-Core Processor", "AMD EPYC 7763", 280.0, "normalized"),
        ("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", "Intel Core i7-8650U", 15.0, "normalized"),
        ("AMD Ryzen 9 5950X 16-Core Processor", "AMD Ryzen 9 5950X", 105.0, "normalized"),
        ("Apple M1", "Apple M1", 10.0, "exact"),
        ("AMD Ryzen 7 PRO 4750U with Radeon Graphics", "AMD Ryzen 7 PRO 4750U", 15.0, "normalized"),
        ("AMD FX(tm)-8350 Eight-Core Processor", "AMD FX-8350", 125.0, "normalized"),
        (
            "11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz",
            "Intel Core i7-1165G7",
            28.0,
            "normalized",
        ),
        # v1 of the E5-2620 reports a stray '0' token; the plain entry is 95 W.
        ("Intel(R) Xeon(R) CPU E5-2620 0 @ 2.00GHz", "Intel Xeon E5-2620", 95.0, "tokens"),
        # 'i5 750' reads as the table's 'i5-750', not the bare AMD entry '750'.
        ("Intel(R) Core(TM) i5 CPU 750 @ 2.67GHz", "Intel Core i5-750", 95.0, "tokens"),
        ("Apple M1 Pro", "Apple M1", 10.0, "tokens"),
    ],
)
def test_real_brands_match_table_entries(
    table: CpuTable, brand: str, entry: str, tdp_w: float, how: str
) -> None:
    match = table.match(brand, threads_per_package=8)
    assert match.entry == entry
    assert match.tdp_w == pytest.approx(tdp_w)
    assert match.how == how
    assert match.brand == brand
    assert repr(entry) in match.detail
    assert f"({tdp_w:g} W)" in match.detail


def test_v3_is_preferred_over_the_shorter_family_entry(table: CpuTable) -> None:
    # The table holds E5-2620 (95 W), v2 (80 W), v3 (85 W) and v4 (85 W).
    assert table.match("Intel(R) Xeon(R) CPU E5-2620 v2 @ 2.10GHz", 12).tdp_w == 80.0


def test_family_name_alone_falls_to_the_default(table: CpuTable) -> None:
    match = table.match("AMD EPYC", threads_per_package=2)
    assert match == CpuMatch(
        brand="AMD EPYC",
        entry=None,
        tdp_w=pytest.approx(table.default_w_per_thread * 2),
        how="default",
        detail=(
            f"no table entry for 'AMD EPYC'; default {table.default_w_per_thread:g} W per thread"
            " x 2 threads"
        ),
    )


def test_default_w_per_thread_is_a_plausible_median(table: CpuTable) -> None:
    assert 1.0 < table.default_w_per_thread < 20.0


@pytest.mark.parametrize(
    "brand", ["", "Neoverse-N1", "Intel(R) Xeon(R) CPU @ 2.20GHz", "Intel(R) Core(TM) i5 CPU 9999"]
)
def test_unknown_brands_default(table: CpuTable, brand: str) -> None:
    match = table.match(brand, threads_per_package=4)
    assert match.how == "default"
    assert match.entry is None
    assert match.tdp_w == pytest.approx(4 * table.default_w_per_thread)


def test_bare_model_number_needs_the_token_in_the_brand(table: CpuTable) -> None:
    # '3280' is a bare (AMD Opteron) entry: it must not match an unrelated brand...
    assert table.match("AMD Opteron X 9999", 4).how == "default"
    # ...but matches when the model number is there and no better entry is.
    match = table.match("Opteron 3280 something", 4)
    assert match.entry in {"3280", "AMD Opteron 3280"}
    assert match.tdp_w == 65.0


@pytest.mark.parametrize("threads", [0, -1, 2.5, True])
def test_bad_thread_count_raises(table: CpuTable, threads: object) -> None:
    with pytest.raises(ConfigError, match="threads_per_package") as info:
        table.match("Apple M1", threads)  # type: ignore[arg-type]
    assert info.value.value == threads


def test_normalize_brand() -> None:
    assert normalize_brand("Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz") == "xeon e5-2620 v3"
    assert normalize_brand("AMD Ryzen 9 5950X 16-Core Processor") == "ryzen 9 5950x"
    assert normalize_brand("AMD Ryzen 5 5600G with Radeon Graphics") == "ryzen 5 5600g"
    assert normalize_brand("  Apple   M1 ") == "apple m1"


def test_given_tables_are_read_lazily(tmp_path: Path) -> None:
    tdp = tmp_path / "tdp.csv"
    defaults = tmp_path / "defaults.csv"
    custom = CpuTable(tdp, defaults)  # nothing read yet: the files do not exist
    tdp.write_text("# comment\nname,tdp_w\nAcme X100,42\n", encoding="utf-8")
    defaults.write_text(
        "key,value,unit,detail\ndefault_w_per_thread,3,W/thread,x\n"
        "load_curve_0,0,f,x\nload_curve_100,1,f,x\n",
        encoding="utf-8",
    )
    assert custom.match("ACME(R) X100 CPU @ 3.00GHz", 1).tdp_w == 42.0
    assert custom.match("Other", 5).tdp_w == 15.0
    assert custom.match("Other", 1).detail.endswith("x 1 thread")


def test_missing_table_raises_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="nowhere.csv"):
        CpuTable(tmp_path / "nowhere.csv").match("Apple M1", 1)


def test_damaged_defaults_raise_data_error(tmp_path: Path) -> None:
    defaults = tmp_path / "defaults.csv"
    defaults.write_text("key,value\nload_curve_0,0\nload_curve_100,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="default_w_per_thread"):
        _ = CpuTable(defaults_path=defaults).default_w_per_thread


# The load curve ------------------------------------------------------------


def test_shipped_curve_is_monotone_from_0_to_1() -> None:
    points = LoadCurve().points
    assert [x for x, _ in points] == pytest.approx([i / 10 for i in range(11)])
    fractions = [y for _, y in points]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0
    assert 0.0 <= fractions[0] < 0.2


def test_shipped_curve_hits_its_points_and_interpolates() -> None:
    curve = LoadCurve()
    points = dict(curve.points)
    for x, y in points.items():
        assert curve.fraction(x) == pytest.approx(y)
    # Halfway between the 50 % and 60 % points: (y50 + y60) / 2.
    assert curve.fraction(0.55) == pytest.approx((points[0.5] + points[0.6]) / 2)
    assert curve.fraction(1.0) == 1.0


def test_curve_interpolates_by_hand() -> None:
    curve = LoadCurve(((0.0, 0.1), (0.5, 0.6), (1.0, 1.0)))
    assert curve.fraction(0.25) == pytest.approx(0.35)  # 0.1 + 0.5 * (0.6 - 0.1)
    assert curve.fraction(0.75) == pytest.approx(0.8)  # 0.6 + 0.5 * (1.0 - 0.6)
    assert curve.fraction(0.5) == pytest.approx(0.6)
    assert curve.fraction(0.0) == pytest.approx(0.1)


def test_curve_clamps_utilization() -> None:
    curve = LoadCurve(((0.0, 0.1), (1.0, 1.0)))
    assert curve.fraction(-0.5) == pytest.approx(0.1)
    assert curve.fraction(1.7) == pytest.approx(1.0)
    assert curve.fraction(math.inf) == pytest.approx(1.0)


def test_curve_rejects_nan() -> None:
    with pytest.raises(ConfigError, match="utilization"):
        LoadCurve().fraction(math.nan)


@pytest.mark.parametrize(
    "points",
    [
        ((0.0, 0.0),),
        ((0.0, 0.0), (0.0, 1.0)),
        ((0.5, 0.0), (0.2, 1.0)),
        ((0.0, -0.1), (1.0, 1.0)),
        ((0.0, 0.0), (1.0, math.nan)),
    ],
)
def test_curve_rejects_bad_points(points: tuple[tuple[float, float], ...]) -> None:
    with pytest.raises(ConfigError, match="points"):
        LoadCurve(points)

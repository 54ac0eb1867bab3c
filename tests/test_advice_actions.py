"""The report's Advice section: one action per kind, most saving first, each with its number."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from wattprint import Tracker
from wattprint.advice.actions import RunFigures, top_actions
from wattprint.advice.ranking import RankedPlace
from wattprint.advice.whatif import WhatIf


def _place(key: str, name: str, g: float, saving: float) -> RankedPlace:
    return RankedPlace(key, name, g, "table", 1.0 * g / 1000, 0.0, saving)


def _what_if() -> WhatIf:
    return WhatIf(
        energy_kwh=1.0, current_g_per_kwh=400.0, current_emissions_kg=0.4,
        countries_best=(_place("FRA", "France", 44.0, 89.0),),
        countries_worst=(), cloud_provider="gcp",
        cloud_best=(_place("gcp:europe-north1", "Finland", 28.0, 93.0),),
        cloud_worst=(), months=(_place("DEU:2024-06", "Germany, June 2024", 276.0, 31.0),),
        notes=(),
    )  # fmt: skip


def test_one_action_per_kind_most_saving_first() -> None:
    runs = [RunFigures(1000.0, 400.0), RunFigures(2.0, 0.5, 1e6, "request")]
    actions = top_actions(_what_if(), runs)
    assert actions == (
        "run in gcp:europe-north1 (Finland): -93 % CO2e (28 instead of 400 gCO2e/kWh)",
        "run in Germany, June 2024: -31 % CO2e (that month's average at the same place, "
        "276 gCO2e/kWh)",
        "inference passes training after 500 M requests (7.2 J each)",  # 2 mWh
    )


def test_nothing_to_advise_without_a_saving_or_units() -> None:
    flat = WhatIf(1.0, 40.0, 0.04, (), (), "gcp", (), (), (), ())
    assert top_actions(flat, [RunFigures(1.0, 0.04)]) == ()
    assert top_actions(None, []) == ()


def test_a_report_of_training_and_inference_runs_has_the_advice_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from wattprint.cli import main

    common = dict(output_dir=tmp_path, country="DE", force_ram_power_w=0.0, mode="machine",
                  handle_signals=False)  # fmt: skip
    with Tracker(force_cpu_power_w=500.0, **common):  # type: ignore[arg-type]
        pass
    with Tracker(force_cpu_power_w=50.0, **common) as infer:  # type: ignore[arg-type]
        infer.add_units(100, "request")
    logger = logging.getLogger("wattprint")
    handlers = list(logger.handlers)
    try:
        assert main(["report", str(tmp_path / "emissions.csv"), "--format", "md"]) == 0
    finally:
        logger.handlers[:] = handlers
    out = capsys.readouterr().out
    advice = out.split("## Advice", 1)[1].split("##", 1)[0]
    assert "1. run in " in advice and "% CO2e" in advice
    assert "inference passes training after" in advice and "requests" in advice

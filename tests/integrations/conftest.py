"""Shared pieces of the integration tests: real frameworks, a fake clock, forced power.

Each test module skips (saying why) when its framework is not installed; the
``integrations-test`` extra installs them all (``.ci/run`` does, in its own
job). Power is forced to constant values and time is driven by a
:class:`FakeClock` that the training advances by exactly one second per
step, so the expected energy is known exactly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/fakes
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("WANDB_SILENT", "true")

from fakes.fake_clock import FakeClock  # noqa: E402

from wattprint import Tracker  # noqa: E402

CPU_W = 30.0
RAM_W = 6.0
POWER_W = CPU_W + RAM_W
J_PER_KWH = 3.6e6


def kwh(seconds: float) -> float:
    """The energy at the forced power over ``seconds``. Units: kWh."""
    return POWER_W * seconds / J_PER_KWH


def tracker_options(clock: FakeClock, **options: Any) -> dict[str, Any]:
    """Keywords of a Tracker at the forced power, driven by ``clock``, writing nothing."""
    return {
        "country": "FR", "save_to_file": False, "force_cpu_power_w": CPU_W,
        "force_ram_power_w": RAM_W, "mode": "machine", "interval_s": 3600.0,
        "checkpoint_s": 3600.0, "clock": clock, "handle_signals": False,
        "env": {}, **options,
    }  # fmt: skip


def make_tracker(clock: FakeClock, **options: Any) -> Tracker:
    return Tracker(**tracker_options(clock, **options))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()

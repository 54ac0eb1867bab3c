"""The pytest plugin, run in inner pytest sessions (``pytester``) at a forced constant power."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

pytest_plugins = ["pytester"]

PLUGIN = "wattprint.integrations.pytest_plugin"
# Where the entry point is installed, the outer session has imported the plugin already.
LOAD = ["-p", PLUGIN, "-W", "ignore::pytest.PytestAssertRewriteWarning"]

TESTS = """
import time

import pytest

def test_light():
    time.sleep(0.02)

def test_heavy():
    sum(range(200_000))

@pytest.mark.energy_budget(kwh=1e-15)
def test_over_budget():
    sum(range(200_000))

@pytest.mark.energy_budget(kwh=1.0)
def test_within_budget():
    pass
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The plugin is named explicitly, whether or not its entry point is installed.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    for key, value in {"COUNTRY": "FR", "FORCE_CPU_POWER_W": "36", "FORCE_RAM_POWER_W": "0",
                       "MODE": "machine", "INTERVAL_S": "3600"}.items():  # fmt: skip
        monkeypatch.setenv(f"WATTPRINT_{key}", value)
    monkeypatch.chdir(pytester.path)
    pytester.makepyfile(test_inner=TESTS)
    return pytester


def test_off_unless_asked(inner: pytest.Pytester) -> None:
    result = inner.runpytest_inprocess(*LOAD)
    result.assert_outcomes(passed=4)  # the budget marker is declared, and judged by nobody
    assert "wattprint" not in result.stdout.str()
    assert not (inner.path / "emissions.csv").exists()


def test_energy_per_test_summary_junit_json_and_budget(inner: pytest.Pytester) -> None:
    result = inner.runpytest_inprocess(
        *LOAD, "--wattprint", "--wattprint-top", "2", "--junitxml=junit.xml",
        "--wattprint-json=energy.json", "--strict-markers",
    )  # fmt: skip
    result.assert_outcomes(passed=3, failed=1)
    out = result.stdout.str()
    assert "wattprint: energy of the tests" in out
    result.stdout.fnmatch_lines(["session: * kWh, * g CO2e in * s (4 tests measured)"])
    result.stdout.fnmatch_lines(["*energy budget exceeded: the test used * kWh, over its budget "
                                 "of 1e-15 kWh*"])  # fmt: skip
    top = [line for line in out.splitlines() if line.endswith(("test_heavy", "test_over_budget"))]
    assert len(top) >= 1

    data = json.loads((inner.path / "energy.json").read_text())
    assert set(data["tests"]) == {f"test_inner.py::{n}" for n in
                                  ("test_light", "test_heavy", "test_over_budget",
                                   "test_within_budget")}  # fmt: skip
    # 36 W over each call. Its energy is read when the source is read and its duration
    # when the reading began, microseconds apart: 0.5 ms of scheduling jitter is allowed.
    for figures in data["tests"].values():
        expected_kwh = 36 * figures["duration_s"] / 3.6e6
        assert figures["energy_kwh"] == pytest.approx(expected_kwh, rel=0.05, abs=5e-9)
    light = data["tests"]["test_inner.py::test_light"]
    assert light["duration_s"] >= 0.02
    assert light["energy_kwh"] == pytest.approx(36 * 0.02 / 3.6e6, rel=0.5)
    assert data["session"]["energy_kwh"] >= sum(f["energy_kwh"] for f in data["tests"].values())

    xml = ElementTree.parse(inner.path / "junit.xml")
    props = {p.get("name") for p in xml.iter("property")}
    assert {"wattprint_energy_kwh", "wattprint_emissions_kg"} <= props
    assert not (inner.path / "emissions.csv").exists()  # nothing written unless configured


def test_a_failing_tracker_never_fails_the_tests(
    inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattprint.tracking.tracker import Tracker

    def broken(self: Tracker, name: str) -> None:
        raise OSError("sensor gone")

    monkeypatch.setattr(Tracker, "start_task", broken)
    result = inner.runpytest_inprocess(*LOAD, "--wattprint")
    result.assert_outcomes(passed=4, warnings=1)
    assert "measuring a test failed (sensor gone)" in result.stdout.str()


def test_the_entry_point_is_declared() -> None:
    if sys.version_info < (3, 11):
        pytest.skip("tomllib is Python 3.11+")
    import tomllib

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"wattprint": PLUGIN}

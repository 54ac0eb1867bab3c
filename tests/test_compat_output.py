"""What a switcher reads: warnings without logging set up, SI prefixes, equivalents, charts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.cli import main
from wattprint.impact.equivalents import equivalents, say
from wattprint.report.render.svg import merge_short_intervals
from wattprint.units_format import duration_text, energy_text, mass_text, si, water_text


@pytest.fixture
def restore_logger() -> Iterator[None]:
    """Put back the wattprint logger as it was (the command line adds a stderr handler)."""
    log = logging.getLogger("wattprint")
    level, handlers = log.level, list(log.handlers)
    yield
    log.setLevel(level)
    log.handlers[:] = handlers



def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))}
    env["HOME"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


PLACE_UNKNOWN = """
import warnings
from wattprint import Tracker
{setup}
for _ in range(3):
    t = Tracker(save_to_file=False, interval_s=0.1, env={{}}{extra})
    t.start(); t.stop()
print("done")
"""


def test_a_figure_changing_warning_reaches_the_user_once_without_logging(tmp_path: Path) -> None:
    done = _python(PLACE_UNKNOWN.format(setup="", extra=""), tmp_path)
    assert done.returncode == 0 and "done" in done.stdout, done.stderr
    assert done.stderr.count("WattprintWarning") == 1, done.stderr
    assert "world-average" in done.stderr


def test_the_warning_is_filterable(tmp_path: Path) -> None:
    setup = "warnings.filterwarnings('ignore', category=__import__('wattprint').WattprintWarning)"
    done = _python(PLACE_UNKNOWN.format(setup=setup, extra=""), tmp_path)
    assert "world-average" not in done.stderr and "done" in done.stdout
    setup = "warnings.simplefilter('error')"  # never raised into the tracker
    done = _python(PLACE_UNKNOWN.format(setup=setup, extra=""), tmp_path)
    assert done.returncode == 0 and "world-average" in done.stderr


def test_configured_logging_shows_it_instead(tmp_path: Path) -> None:
    setup = "import logging; logging.basicConfig(format='LOG %(message)s')"
    done = _python(PLACE_UNKNOWN.format(setup=setup, extra=""), tmp_path)
    assert "LOG wattprint: the place is not known" in done.stderr
    assert "WattprintWarning" not in done.stderr


def test_log_level_does_what_codecarbon_users_expect(tmp_path: Path) -> None:
    quiet = _python(PLACE_UNKNOWN.format(setup="", extra=", log_level='error'"), tmp_path)
    assert "world-average" not in quiet.stderr and "done" in quiet.stdout
    code = (
        "import logging\nfrom wattprint import Tracker\n"
        "Tracker(save_to_file=False, country='FR', log_level='info', env={})\n"
        "logging.getLogger('wattprint').info('an info line')\n"
    )
    loud = _python(code, tmp_path)
    assert "[wattprint INFO] an info line" in loud.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (si(0.0123, "g"), "12.3 mg"), (si(0, "J"), "0 J"), (si(999.96, "g"), "1 kg"),
        (energy_text(3.3e-9), "11.9 mJ"), (energy_text(2.5), "2.5 kWh"),
        (energy_text(0.0042), "4.2 Wh"), (mass_text(1.2e-8), "12 µg"), (mass_text(2500), "2.5 t"),
        (water_text(7.85e-7), "785 nL"), (duration_text(5400), "1.5 h"),
        (duration_text(0.0014), "1.4 ms"),
    ],
)  # fmt: skip
def test_si_prefixes(text: str, expected: str) -> None:
    assert text == expected


def test_equivalents_read_as_a_person_says_them() -> None:
    said = {e.factor.key: say(e) for e in equivalents(emissions_kg=5.15e-6, energy_kwh=4.67e-5)}
    assert said["car_km_eu"] == "driving 47.9 mm in an average new European car"
    assert said["tv_hours"] == "watching a 50-inch TV for 1.4 s"
    assert said["smartphone_charges"] == "0.246% of a full smartphone charge"
    assert all("e-0" not in text for text in said.values()), said
    big = {e.factor.key: say(e) for e in equivalents(emissions_kg=50.0, energy_kwh=200.0)}
    assert big["car_km_eu"] == "driving 465 km in an average new European car"
    assert big["smartphone_charges"] == "10,526 full smartphone charges"


def test_power_chart_does_not_drop_to_zero_at_task_boundaries() -> None:
    points = [(0.0, 0.0), (5.0, 10.0), (10.0, 10.0), (10.004, 0.0), (15.0, 10.0), (20.0, 10.0)]
    merged = merge_short_intervals(points)
    assert all(y > 9.9 for _, y in merged[1:])
    energy = sum((b[0] - a[0]) * b[1] for a, b in zip(points, points[1:], strict=False))
    kept = sum((b[0] - a[0]) * b[1] for a, b in zip(merged, merged[1:], strict=False))
    assert kept == pytest.approx(energy)


@pytest.mark.usefixtures("restore_logger")
def test_doctor_prints_the_extra_with_its_brackets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert 'pip install "wattprint[gpu]"' in out.replace("\n", " ") or "GPU 0" in out


@pytest.mark.usefixtures("restore_logger")
def test_bad_cloud_region_names_the_cloud_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--cloud", "gcp:nowhere", "--", "true"]) == 2
    err = capsys.readouterr().err
    assert "'nowhere'" in err and "--cloud" in err and "--region" not in err


def test_run_summary_uses_si_prefixes(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    done = subprocess.run(
        [sys.executable, "-m", "wattprint", "run", "--country", "FR", "--no-save", "--", "true"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "0.00 mg" not in done.stderr and " 0.0 J" not in done.stderr
    assert "CO2e" in done.stderr

"""The tracker's API: settings, runs, tasks, results, outputs and failures."""

from __future__ import annotations

import csv
import logging
import math
import os
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

import pytest
from fakes.fake_machine import local_cpu_model_method

import wattprint
from wattprint import ConfigError, Tracker, WattprintError, track
from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.results import RunResult
from wattprint.sinks.csv_file import CODECARBON_COLUMNS, COLUMNS
from wattprint.units import J_PER_KWH

BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


def _tracker(tmp_path: Path, **kwargs: object) -> Tracker:
    args: dict[str, object] = {"country": "FR", "output_dir": tmp_path, "interval_s": 0.1}
    # No cloud's DMI strings: the CPU model is this machine's (see local_cpu_model_method).
    args.setdefault("env", {**os.environ, "WATTPRINT_DMI_DIR": str(tmp_path / "no-dmi")})
    args.update(kwargs)
    return Tracker(**args)  # type: ignore[arg-type]


# -- bad input ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "key", "shown"),
    [
        ({"country": "XXX"}, "country", "'XXX'"),
        ({"interval_s": 0}, "interval_s", "0"),
        ({"interval_s": -1.5}, "interval_s", "-1.5"),
        ({"interval_s": float("nan")}, "interval_s", "nan"),
        ({"interval_s": "5"}, "interval_s", "'5'"),
        ({"mode": "gpu-only"}, "mode", "'gpu-only'"),
        ({"pue": 0.8}, "pue", "0.8"),
        ({"force_cpu_power_w": -3}, "force_cpu_power_w", "-3"),
        ({"log_level": "loud"}, "log_level", "'loud'"),
        ({"output_file": "a/b.csv"}, "output_file", "'a/b.csv'"),
        ({"project": ""}, "project", "''"),
    ],
)
def test_bad_arguments_name_the_value_and_what_is_accepted(
    tmp_path: Path, kwargs: dict[str, object], key: str, shown: str
) -> None:
    with pytest.raises(ConfigError) as info:
        _tracker(tmp_path, **kwargs)
    assert info.value.key == key
    message = str(info.value)
    assert shown in message and "expected" in message
    assert isinstance(info.value, ValueError)


def test_unwritable_output_dir_is_refused_before_any_work(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match="output_dir"):
        _tracker(tmp_path, output_dir=a_file / "sub")
    with pytest.raises(ConfigError, match="a directory, not a file"):
        _tracker(tmp_path, output_dir=a_file)


def test_errors_pickle() -> None:
    import pickle

    err = ConfigError("country", "XXX", "a code")
    again = pickle.loads(pickle.dumps(err))
    assert str(again) == str(err) and again.key == "country"


# -- runs --------------------------------------------------------------------


def test_context_manager_gives_a_complete_result(tmp_path: Path) -> None:
    with _tracker(tmp_path, project="p", experiment="e") as tracker:
        exec(BURN.format(s=0.3))
    r = tracker.result
    assert isinstance(r, RunResult)
    assert r.status == "completed" and r.project == "p" and r.experiment == "e"
    assert r.started_at.tzinfo == timezone.utc and r.ended_at > r.started_at
    assert r.duration_s > 0.25
    assert r.cpu_energy_kwh > 0 and r.ram_energy_kwh > 0 and r.gpu_energy_kwh == 0
    it = r.cpu_energy_kwh + r.gpu_energy_kwh + r.ram_energy_kwh
    assert math.isclose(r.energy_kwh, it)
    assert math.isclose(r.emissions_kg, r.energy_kwh * r.intensity_g_per_kwh / 1000)
    assert math.isclose(r.cpu_power_w, r.cpu_energy_kwh * J_PER_KWH / r.duration_s)
    assert r.location.country_iso3 == "FRA"
    i = r.methodology.intensity
    assert i.source.startswith("Ember") and i.year and i.kind == "average"
    cpu = r.methodology.component("cpu")
    assert cpu is not None and cpu.method == local_cpu_model_method() and not cpu.measured
    assert "TDP" in cpu.detail or "W per thread" in cpu.detail
    assert r.methodology.component("gpu").method == "none"  # type: ignore[union-attr]


def test_exception_inside_with_marks_the_run_interrupted(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path)
    with pytest.raises(RuntimeError, match="boom"):
        with tracker:
            raise RuntimeError("boom")
    assert tracker.result is not None and tracker.result.status == "interrupted"
    rows = list(csv.DictReader(open(tmp_path / "emissions.csv")))
    assert rows[-1]["status"] == "interrupted"


def test_a_stopped_tracker_starts_a_new_run(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path)
    first = tracker.start().stop()
    second = tracker.start().stop()
    assert first.run_id != second.run_id
    assert second.started_at >= first.ended_at
    rows = list(csv.DictReader(open(tmp_path / "emissions.csv")))
    assert [r["run_id"] for r in rows] == [first.run_id, second.run_id]


def test_stop_before_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(WattprintError, match="before start"):
        _tracker(tmp_path).stop()


def test_flush_reports_so_far_without_stopping(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path).start()
    exec(BURN.format(s=0.2))
    interim = tracker.flush()
    assert interim.status == "running" and tracker.running
    final = tracker.stop()
    assert final.cpu_energy_kwh >= interim.cpu_energy_kwh > 0
    assert final.run_id == interim.run_id


def test_forced_power_in_machine_mode_is_power_times_time(tmp_path: Path) -> None:
    tracker = _tracker(
        tmp_path,
        mode="machine",
        force_cpu_power_w=10.0,
        force_ram_power_w=2.0,
        pue=1.5,
        force_intensity_g_per_kwh=100.0,
    )
    with tracker:
        time.sleep(0.3)
    r = tracker.result
    assert r is not None
    assert math.isclose(r.cpu_power_w, 10.0, rel_tol=0.02)
    assert math.isclose(r.ram_power_w, 2.0, rel_tol=0.02)
    assert math.isclose(r.energy_kwh, (r.cpu_energy_kwh + r.ram_energy_kwh) * 1.5)
    assert math.isclose(r.emissions_kg, r.energy_kwh * 0.1)
    assert r.methodology.component("cpu").method == "constant"  # type: ignore[union-attr]
    assert r.methodology.intensity.source == "set by the user"


def _start_outsider(tmp_path: Path, seconds: float) -> int:
    """Start a busy process that is not our descendant (re-parented to init)."""
    script = tmp_path / "burn.py"
    script.write_text(BURN.format(s=seconds))
    out = subprocess.run(
        ["sh", "-c", f"{sys.executable} {script} >/dev/null 2>&1 & echo $!"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.strip())


def test_process_mode_charges_only_the_tree_share(tmp_path: Path) -> None:
    """A busy process outside the tree takes most of the machine's CPU time."""
    import signal

    outsider = _start_outsider(tmp_path, 3)
    try:
        time.sleep(0.2)
        kwargs = {"force_cpu_power_w": 10.0, "save_to_file": False, "interval_s": 0.1}
        with (
            _tracker(tmp_path, mode="process", **kwargs) as process_mode,
            _tracker(tmp_path, mode="machine", **kwargs) as machine_mode,
        ):
            time.sleep(0.6)  # this process is idle: the outsider is busy
    finally:
        os.kill(outsider, signal.SIGKILL)
    p, m = process_mode.result, machine_mode.result
    assert p is not None and m is not None
    assert p.cpu_energy_kwh < 0.5 * m.cpu_energy_kwh
    assert p.methodology.component("cpu").attribution.startswith("share")  # type: ignore[union-attr]


def test_children_started_after_start_are_counted(tmp_path: Path) -> None:
    with _tracker(tmp_path, force_cpu_power_w=10.0, save_to_file=False) as tracker:
        subprocess.run([sys.executable, "-c", BURN.format(s=0.5)], check=True)
    r = tracker.result
    assert r is not None
    # The child was busy most of the run on a mostly idle machine.
    assert r.cpu_energy_kwh * J_PER_KWH > 0.3 * 10.0 * 0.5


# -- tasks -------------------------------------------------------------------


def test_tasks_nest_and_overlap_and_the_run_counts_once(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path, mode="machine", force_cpu_power_w=10.0, force_ram_power_w=0.0)
    with tracker:
        tracker.start_task("outer")
        with tracker.task("inner"):
            time.sleep(0.15)
        tracker.start_task("overlap")
        time.sleep(0.1)
        outer = tracker.stop_task("outer")
        time.sleep(0.1)
        overlap = tracker.stop_task("overlap")
    r = tracker.result
    assert r is not None
    names = [t.name for t in r.tasks]
    assert names == ["inner", "outer", "overlap"]
    inner = r.tasks[0]
    assert inner.cpu_energy_kwh < outer.cpu_energy_kwh < r.cpu_energy_kwh
    assert overlap.cpu_energy_kwh < r.cpu_energy_kwh
    assert math.isclose(r.cpu_power_w, 10.0, rel_tol=0.02)  # counted once
    assert math.isclose(outer.cpu_energy_kwh * J_PER_KWH, 10.0 * outer.duration_s, rel_tol=0.02)


def test_task_errors_name_the_task(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path, save_to_file=False).start()
    tracker.start_task("a")
    with pytest.raises(ConfigError, match="'a'"):
        tracker.start_task("a")
    with pytest.raises(ConfigError, match="'b'.*open task \\('a'\\)"):
        tracker.stop_task("b")
    tracker.stop()


def test_open_tasks_close_with_the_run(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path, save_to_file=False)
    tracker.start_task("left-open")  # starts the run too
    result = tracker.stop()
    assert [t.name for t in result.tasks] == ["left-open"]


# -- decorator ---------------------------------------------------------------


def test_track_bare_and_with_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    @track
    def bare(x: int) -> int:
        return x + 1

    @track(project="decorated", country="DE", interval_s=0.1)
    def configured() -> str:
        return "ok"

    assert bare(1) == 2 and configured() == "ok" and bare.__name__ == "bare"
    rows = list(csv.DictReader(open(tmp_path / "emissions.csv")))
    assert [r["project_name"] for r in rows] == ["default", "decorated"]
    assert rows[1]["country_iso_code"] == "DEU"


def test_track_checks_arguments_when_decorating() -> None:
    with pytest.raises(ConfigError, match="mode"):
        track(mode="nope")


def test_track_async(tmp_path: Path) -> None:
    import asyncio

    @track(save_to_file=False, country="FR")
    async def work() -> int:
        await asyncio.sleep(0.01)
        return 7

    assert asyncio.run(work()) == 7


# -- outputs and failures ----------------------------------------------------


def test_csv_has_codecarbon_columns_first(tmp_path: Path) -> None:
    with _tracker(tmp_path) as tracker:
        pass
    with open(tmp_path / "emissions.csv") as f:
        header = next(csv.reader(f))
    assert tuple(header[:38]) == CODECARBON_COLUMNS and len(CODECARBON_COLUMNS) == 38
    assert header == list(COLUMNS)
    row = next(csv.DictReader(open(tmp_path / "emissions.csv")))
    r = tracker.result
    assert r is not None
    assert float(row["energy_consumed"]) == pytest.approx(r.energy_kwh)
    assert row["codecarbon_version"] == wattprint.__version__
    assert row["cpu_method"] == local_cpu_model_method() and row["status"] == "completed"
    assert row["tracking_mode"] == "process" and row["country_iso_code"] == "FRA"


def test_foreign_csv_is_left_alone(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    foreign = tmp_path / "emissions.csv"
    foreign.write_text("a,b\n1,2\n")
    with caplog.at_level(logging.WARNING, "wattprint"), _tracker(tmp_path):
        pass
    assert foreign.read_text() == "a,b\n1,2\n"
    beside = tmp_path / "emissions.wattprint-1.csv"
    assert beside.exists() and "left untouched" in caplog.text and str(beside) in caplog.text


class _BrokenSink:
    name = "broken"

    def write(self, result: RunResult) -> None:
        raise OSError(28, "No space left on device")


def test_a_failing_output_never_raises(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    tracker = _tracker(tmp_path, sinks=[_BrokenSink()])
    with caplog.at_level(logging.WARNING, "wattprint"), tracker:
        pass
    assert tracker.result is not None
    assert "broken failed" in caplog.text and "No space left" in caplog.text
    assert (tmp_path / "emissions.csv").exists()  # the other outputs still wrote


class _FailingSource:
    name = "flaky"
    component: Component = "cpu"
    method = "test"
    measured = True
    detail = "fails after the first read"

    def __init__(self) -> None:
        self.reads = 0

    def read(self) -> Reading:
        self.reads += 1
        if self.reads > 1:
            raise OSError(5, "Input/output error")
        return Reading(self.name, "cpu", time.monotonic(), (DeviceEnergy("x", 1.0),))

    def close(self) -> None:
        pass


def test_a_failing_sensor_is_logged_once_and_noted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from wattprint.power.discovery import Discovery

    tracker = _tracker(tmp_path, save_to_file=False, interval_s=0.05)
    real = tracker.discovery
    tracker._discovery = Discovery(real.hardware, real.outcomes, (_FailingSource(),))
    with caplog.at_level(logging.WARNING, "wattprint"), tracker:
        time.sleep(0.3)
    r = tracker.result
    assert r is not None and r.cpu_energy_kwh == 0
    assert caplog.text.count("reading flaky failed") == 1
    assert any("flaky failed" in note for note in r.methodology.notes)


def test_world_average_when_no_country(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wattprint.grid import plan as plan_module

    # No cloud and no time zone to guess from: the place is not known.
    monkeypatch.setattr(plan_module, "_default_timezone", lambda env: lambda: None)
    monkeypatch.setattr(plan_module, "_default_cloud_detector", lambda env: lambda: None)
    with caplog.at_level(logging.WARNING, "wattprint"):
        with Tracker(output_dir=tmp_path, interval_s=0.1, env={}) as tracker:
            pass
    r = tracker.result
    assert r is not None and r.location.is_world and r.location.country_iso3 == "WLD"
    assert "world-average" in caplog.text and "country=" in caplog.text
    assert any("world-average" in n for n in r.methodology.notes)


def test_alpha2_and_alpha3_give_the_same_grid(tmp_path: Path) -> None:
    a = _tracker(tmp_path, country="fr", save_to_file=False).grid
    b = _tracker(tmp_path, country="FRA", save_to_file=False).grid
    assert a.intensity == b.intensity and a.location.country_iso3 == "FRA"


def test_logger_has_only_a_null_handler() -> None:
    handlers = logging.getLogger("wattprint").handlers
    assert all(isinstance(h, logging.NullHandler) for h in handlers) or os.environ.get("CI")


# -- units, embodied, SCI -------------------------------------------------------


def test_units_embodied_and_sci(tmp_path: Path) -> None:
    tracker = _tracker(
        tmp_path, mode="machine", force_cpu_power_w=10.0, force_ram_power_w=0.0,
        force_intensity_g_per_kwh=100.0, embodied_kg=1000.0, lifetime_years=4.0,
    )  # fmt: skip
    tracker.start()
    tracker.add_units(3, "inference")
    time.sleep(0.2)
    r = tracker.stop(units=2, unit="inference")
    assert (r.units, r.unit) == (5.0, "inference")
    # M = 1000 kg x duration / (4 x 365 x 86400 s) x 1.0 (the whole machine is usable)
    assert r.embodied_kg == pytest.approx(1000.0 * r.duration_s / (4 * 365 * 86400))
    # SCI = (E x I + M) / R, in g per unit
    expected = (r.energy_kwh * 100.0 + r.embodied_kg * 1000.0) / 5
    assert r.sci_g_per_unit == pytest.approx(expected)
    assert "1000 kg set by the user" in r.methodology.embodied
    row = next(csv.DictReader(open(tmp_path / "emissions.csv")))
    assert row["unit"] == "inference" and float(row["sci_g_per_unit"]) == pytest.approx(expected)


def test_default_embodied_and_unit_errors(tmp_path: Path) -> None:
    tracker = _tracker(tmp_path, save_to_file=False).start()
    with pytest.raises(ConfigError, match="-1"):
        tracker.add_units(-1)
    tracker.add_units(1, "image")
    with pytest.raises(ConfigError, match="'token'.*'image'"):
        tracker.add_units(1, "token")
    r = tracker.stop()
    assert r.embodied_kg > 0 and "estimated" in r.methodology.embodied
    assert r.sci_g_per_unit is not None and r.sci_g_per_unit > 0


def test_power_series_integrates_to_the_energy(tmp_path: Path) -> None:
    from fakes.fake_clock import FakeClock

    from wattprint.records.run_dict import run_from_dict, run_to_dict

    clock = FakeClock()  # time driven by the test: the constant source is exact
    tracker = _tracker(tmp_path, mode="machine", force_cpu_power_w=10.0, force_ram_power_w=2.0,
                       interval_s=0.05, save_to_file=False, clock=clock)  # fmt: skip
    with tracker:
        for _ in range(8):
            clock.advance(0.05)
            tracker.flush()
    r = tracker.result
    assert r is not None and len(r.series) >= 4
    assert all(p.cpu_power_w == pytest.approx(10.0, rel=0.05) for p in r.series)
    edges = [0.0] + [p.elapsed_s for p in r.series]
    pairs = zip(r.series, edges[:-1], edges[1:], strict=True)
    energy_j = sum(p.cpu_power_w * (b - a) for p, a, b in pairs)
    assert energy_j == pytest.approx(r.cpu_energy_kwh * J_PER_KWH, rel=1e-6)
    assert run_from_dict(run_to_dict(r)) == r

"""CodeCarbon-shaped code through wattprint.compat.codecarbon.

The interface is checked against CodeCarbon 3.3.2's own, recorded from the
real package in tests/fixtures/codecarbon/interface.json (see the README there).
"""

from __future__ import annotations

import csv
import dataclasses
import inspect
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from wattprint.compat import codecarbon as cc
from wattprint.compat._keywords import DECORATOR_PARAMETERS
from wattprint.records.columns import CODECARBON_COLUMNS
from wattprint.records.folder import read_folder

FIXTURES = Path(__file__).parent / "fixtures" / "codecarbon"
INTERFACE = json.loads((FIXTURES / "interface.json").read_text(encoding="utf-8"))


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory with no config files, HOME included, and no WATTPRINT_/CODECARBON_ variables."""
    import os

    for name in list(os.environ):
        if name.startswith(("WATTPRINT_", "CODECARBON_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(500))


# -- the interface is CodeCarbon's ---------------------------------------------


def test_signatures_and_fields_are_codecarbons() -> None:
    params = list(inspect.signature(cc.EmissionsTracker).parameters)
    assert params == INTERFACE["EmissionsTracker"]
    offline = list(inspect.signature(cc.OfflineEmissionsTracker).parameters)
    assert set(INTERFACE["OfflineEmissionsTracker"]) <= set(offline)
    assert set(INTERFACE["track_emissions"]) - {"fn"} == set(DECORATOR_PARAMETERS)
    assert [f.name for f in dataclasses.fields(cc.EmissionsData)] == INTERFACE["EmissionsData"]
    assert INTERFACE["EmissionsData"] == list(CODECARBON_COLUMNS)
    assert {m.name: m.value for m in cc.OutputMethod} == INTERFACE["OutputMethod"]
    for method in INTERFACE["tracker_methods"]:
        assert callable(getattr(cc.EmissionsTracker, method)), method
    assert cc.__version__ == INTERFACE["version"]


def test_unknown_keyword_is_a_type_error_naming_the_closest(here: Path) -> None:
    with pytest.raises(TypeError, match=r"'measure_power_sec'; did you mean 'measure_power_secs'"):
        cc.EmissionsTracker(measure_power_sec=1)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'country_iso_code'"):
        cc.EmissionsTracker(country_iso_code="FRA")  # offline only, as in CodeCarbon
    with pytest.raises(TypeError, match=r"'projet_name'; did you mean 'project_name'"):
        cc.track_emissions(projet_name="x")
    with pytest.raises(TypeError, match="multiple values"):
        cc.EmissionsTracker("a", project_name="b")


def test_a_bad_value_is_named_before_anything_is_measured(here: Path) -> None:
    from wattprint.errors import ConfigError

    with pytest.raises(ConfigError, match="interval_s"):
        cc.EmissionsTracker(measure_power_secs=-1)


# -- runs, tasks, decorator, context manager ------------------------------------


def test_tasks_stop_returns_the_rows_emissions(here: Path) -> None:
    tracker = cc.OfflineEmissionsTracker(
        country_iso_code="FRA", measure_power_secs=0.1, output_dir=str(here)
    )
    tracker.start()
    returned = {}
    for name in ("load", "train", "eval"):
        tracker.start_task(name)
        _busy(0.15)
        data = tracker.stop_task()
        assert isinstance(data, cc.EmissionsData)
        returned[name] = data
    emissions = tracker.stop()
    assert isinstance(emissions, float)
    rows = _rows(here / "emissions.csv")
    assert len(rows) == 1
    assert float(rows[0]["emissions"]) == emissions
    assert tracker.final_emissions == emissions
    assert tracker.final_emissions_data is not None
    assert tracker.final_emissions_data.emissions == emissions
    assert rows[0]["country_iso_code"] == "FRA" and rows[0]["project_name"] == "codecarbon"
    assert rows[0]["tracking_mode"] == "machine"  # CodeCarbon's default
    for data in returned.values():
        assert data.run_id == rows[0]["run_id"] and data.country_name == "France"
        assert 0.1 < data.duration < float(rows[0]["duration"])
        assert 0 < data.emissions < emissions
    assert sum(d.emissions for d in returned.values()) <= emissions
    # The tasks are in CodeCarbon's task file too, read back as tasks of the run.
    task_file = here / f"emissions_base_{rows[0]['run_id']}.csv"
    assert [r["task_name"] for r in _rows(task_file)] == ["load", "train", "eval"]
    loaded = read_folder(here)
    (run,) = loaded.runs
    assert [t.name for t in run.tasks] == ["load", "train", "eval"]
    assert run.emissions_kg == emissions


def test_one_task_at_a_time_and_stop_task_without_one(
    here: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = cc.EmissionsTracker(measure_power_secs=0.1, save_to_file=False)
    assert tracker.stop() is None  # never started: CodeCarbon's None
    tracker.start_task("a")  # starts the run, as CodeCarbon's does
    tracker.start_task("b")
    assert "already under measure" in caplog.text
    assert tracker.stop_task() is not None
    assert tracker.stop_task() is None
    assert "no active task" in caplog.text
    tracker.start_task("a")  # a name used before gets a suffix
    tracker.stop()
    assert tracker.final_emissions_data is not None


def test_flush_writes_a_row_and_returns_the_emissions_so_far(here: Path) -> None:
    tracker = cc.EmissionsTracker(measure_power_secs=0.1, output_dir=str(here))
    tracker.start()
    _busy(0.1)
    so_far = tracker.flush()
    final = tracker.stop()
    assert so_far is not None and final is not None and 0 < so_far <= final
    rows = _rows(here / "emissions.csv")
    assert [float(r["emissions"]) for r in rows] == [so_far, final]
    assert rows[0]["run_id"] == rows[1]["run_id"]


def test_decorator_and_context_manager(here: Path) -> None:
    @cc.track_emissions(project_name="deco", measure_power_secs=0.1, output_dir=str(here))
    def train(x: int) -> int:
        _busy(0.05)
        return x * 2

    @cc.track_emissions
    def bare() -> str:
        return "ok"

    assert train(21) == 42
    assert bare() == "ok"
    with cc.EmissionsTracker(project_name="ctx", measure_power_secs=0.1) as tracker:
        _busy(0.05)
    assert tracker.final_emissions is not None
    rows = _rows(here / "emissions.csv")
    assert [r["project_name"] for r in rows] == ["deco", "codecarbon", "ctx"]
    assert float(rows[2]["emissions"]) == tracker.final_emissions

    @cc.track_emissions(offline=True)
    def needs_a_country() -> None:
        pass

    with pytest.raises(Exception, match="Needs ISO Code of the Country"):
        needs_a_country()


def test_offline_with_a_country_uses_its_grid(here: Path) -> None:
    fr = cc.OfflineEmissionsTracker(country_iso_code="FRA", save_to_file=False)
    de = cc.OfflineEmissionsTracker(country_2letter_iso_code="DE", save_to_file=False)
    assert fr.tracker.grid.location.country_iso3 == "FRA"
    assert de.tracker.grid.location.country_iso3 == "DEU"
    fr_g, de_g = (t.tracker.grid.intensity.intensity_g_per_kwh for t in (fr, de))
    assert fr_g < de_g


# -- every keyword is mapped, or named in one warning -----------------------------


@pytest.mark.parametrize(
    ("keyword", "value", "setting", "expected"),
    [
        ("project_name", "p", "project", "p"),
        ("experiment_name", "e", "experiment", "e"),
        ("measure_power_secs", 2, "interval_s", 2.0),
        ("output_file", "x.csv", "output_file", "x.csv"),
        ("save_to_file", False, "save_to_file", False),
        ("gpu_ids", [0, 1], "gpu_ids", ("0", "1")),
        ("electricitymaps_api_token", "tok", "electricitymaps_token", "tok"),
        ("tracking_mode", "process", "mode", "process"),
        ("log_level", "error", "log_level", logging.ERROR),
        ("force_cpu_power", 40, "force_cpu_power_w", 40.0),
        ("force_ram_power", 5, "force_ram_power_w", 5.0),
        ("pue", 1.5, "pue", 1.5),
        ("wue", 1.8, "wue", 1.8),
        ("force_carbon_intensity_g_co2e_kwh", 100, "force_intensity_g_per_kwh", 100.0),
        ("output_methods", [cc.OutputMethod.LOGGER], "save_to_file", False),
    ],
)
def test_each_keyword_maps_to_its_setting(
    here: Path, keyword: str, value: Any, setting: str, expected: Any
) -> None:
    tracker = cc.EmissionsTracker(**{keyword: value})
    assert getattr(tracker.tracker.settings, setting) == expected
    logging.getLogger("wattprint").setLevel(logging.NOTSET)


def test_output_dir_and_offline_place_keywords(here: Path) -> None:
    t = cc.OfflineEmissionsTracker(
        output_dir=str(here / "out"), country_iso_code="USA", region="california",
        cloud_provider="gcp", cloud_region="europe-west1", save_to_file=False,
    )  # fmt: skip
    s = t.tracker.settings
    assert (s.output_dir, s.country, s.region) == (here / "out", "USA", "california")
    assert (s.cloud_provider, s.cloud_region) == ("gcp", "europe-west1")


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"allow_multiple_runs": False}, "allow_multiple_runs=False"),
        ({"force_mode_cpu_load": True}, "force_mode_cpu_load=True"),
        ({"rapl_include_dram": True}, "rapl_include_dram=True"),
        ({"rapl_prefer_psys": True}, "rapl_prefer_psys=True"),
        ({"save_to_logfire": True}, "save_to_logfire=True"),
        ({"logger_preamble": "x"}, "logger_preamble='x'"),
        ({"on_csv_write": "update"}, "on_csv_write='update'"),
        ({"emissions_endpoint": "http://h/e"}, "emissions_endpoint="),
        ({"co2_signal_api_token": "t"}, "co2_signal_api_token is deprecated"),
        ({"save_to_api": True}, "save_to_api"),
        ({"api_key": "k", "api_endpoint": "http://h"}, "api_key, api_endpoint"),
        ({"experiment_id": "5b0f"}, "experiment_id"),
        ({"api_call_interval": 4}, "api_call_interval"),
        ({"output_methods": ["logfire"]}, "output method 'logfire'"),
        ({"metadata": {"boamps": {}}}, "metadata="),
    ],
)
def test_values_not_honoured_give_one_warning_naming_them(
    here: Path, caplog: pytest.LogCaptureFixture, kwargs: dict[str, Any], named: str
) -> None:
    caplog.set_level(logging.WARNING, logger="wattprint")
    cc.EmissionsTracker(save_to_file=False, **kwargs)
    ours = [r.getMessage() for r in caplog.records if named in r.getMessage()]
    assert len(ours) == 1, caplog.text
    if named == "save_to_api":  # no endpoint given: CodeCarbon's public API is never used
        assert "set api_endpoint to your wattprint server" in ours[0]
    elif named.startswith(("api_", "experiment_id")):
        assert "not sent anywhere" in ours[0]


def test_save_to_api_with_an_endpoint_reports_to_the_team_server(
    here: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wattprint")
    tracker = cc.EmissionsTracker(
        save_to_file=False, save_to_api=True, api_endpoint="http://127.0.0.1:9/api",
        api_key="cpt_secret",
    )  # fmt: skip
    settings = tracker.tracker.settings
    assert settings.server_url == "http://127.0.0.1:9/api"
    assert settings.server_token == "cpt_secret"
    assert "not sent anywhere" not in caplog.text


def test_defaults_honoured_without_a_warning(here: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="wattprint")
    cc.EmissionsTracker(
        save_to_file=False, allow_multiple_runs=True, on_csv_write="append", logger_preamble="",
        rapl_include_dram=False, output_methods=[cc.OutputMethod.CSV],
    )  # fmt: skip
    assert not [r for r in caplog.records if "not honoured" in r.getMessage()]


def test_codecarbon_defaults_yield_to_wattprint_settings(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATTPRINT_MODE", "process")
    (here / ".codecarbon.config").write_text("[codecarbon]\nproject_name = from-file\n")
    s = cc.EmissionsTracker(save_to_file=False).tracker.settings
    assert (s.mode, s.project, s.experiment) == ("process", "from-file", "base")


def test_outputs_logger_and_codecarbon_handlers(
    here: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Handler:
        def __init__(self) -> None:
            self.got: list[tuple[Any, Any]] = []
            self.exited = False

        def out(self, total: Any, delta: Any) -> None:
            self.got.append((total, delta))

        def exit(self) -> None:
            self.exited = True

    handler = Handler()
    caplog.set_level(logging.INFO)
    tracker = cc.EmissionsTracker(
        save_to_file=False, save_to_logger=True, logging_logger=logging.getLogger("mine"),
        output_handlers=[handler], measure_power_secs=0.1,
    )  # fmt: skip
    tracker.start()
    tracker.flush()
    final = tracker.stop()
    assert [t.emissions for t, _ in handler.got][-1] == final and handler.exited
    total, delta = handler.got[1]
    assert delta.emissions == pytest.approx(total.emissions - handler.got[0][0].emissions)
    assert any(r.name == "mine" and "wattprint run" in r.getMessage() for r in caplog.records)


def test_get_detected_hardware(here: Path) -> None:
    hw = cc.EmissionsTracker(save_to_file=False, gpu_ids="0").get_detected_hardware()
    assert hw["cpu_count"] >= 1 and hw["ram_total_size"] > 0 and hw["gpu_ids"] == ["0"]

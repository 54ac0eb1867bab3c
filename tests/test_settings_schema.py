"""The settings schema: one declaration, and everything made from it agrees."""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import ForwardRef, get_args

import pytest

from wattprint.cli import main
from wattprint.errors import ConfigError
from wattprint.settings.parsers import Switch
from wattprint.settings.resolve import UNSET, Settings, resolve_settings
from wattprint.settings.schema import CODECARBON_UNSUPPORTED, MODES, SETTINGS
from wattprint.tracking.tracker import Tracker

ROOT = Path(__file__).resolve().parent.parent
NOT_SETTINGS = (
    "pid", "sinks", "env", "handle_signals", "observers", "clock", "discovery", "grid_plan",
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "scripts" / "settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory and home with no config files, and no settings in os.environ."""
    for name in list(os.environ):
        if name.startswith(("WATTPRINT_", "CODECARBON_")):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    log = logging.getLogger("wattprint")
    level, handlers = log.level, list(log.handlers)
    yield work
    log.setLevel(level)  # the command line and log_level= set them
    log.handlers[:] = handlers


# -- one declaration ---------------------------------------------------------


def test_settings_fields_are_the_schema() -> None:
    declared = [(s.name, s.type, s.default) for s in SETTINGS]

    def written(annotation: object) -> object:  # a named tuple keeps a string as a ForwardRef
        return annotation.__forward_arg__ if isinstance(annotation, ForwardRef) else annotation

    types, defaults = Settings.__annotations__, Settings._field_defaults
    made = [(n, written(types[n]), defaults[n]) for n in Settings._fields if n != "sources"]
    assert made == declared


def test_tracker_keywords_are_the_schema() -> None:
    params = inspect.signature(Tracker.__init__).parameters
    keywords = [n for n in params if n not in ("self", *NOT_SETTINGS)]
    assert keywords == [s.name for s in SETTINGS]
    assert all(params[n].default is UNSET for n in keywords)
    assert all(params[n].kind is inspect.Parameter.KEYWORD_ONLY for n in params if n != "self")


def test_readme_table_is_made_from_the_schema() -> None:
    script = _script()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == script.with_table(readme), "run: python scripts/settings_table.py"
    for s in SETTINGS:
        type_cell = s.type.replace("|", "\\|")
        assert f"| `{s.name}` | `{type_cell}` |" in readme and s.env in readme


def test_readme_check_fails_when_stale(tmp_path: Path) -> None:
    script = _script()
    stale = tmp_path / "README.md"
    stale.write_text(f"x\n{script.START}\n| old |\n{script.END}\n", encoding="utf-8")
    assert script.main(["--check", "--readme", str(stale)]) == 1
    assert script.main(["--readme", str(stale)]) == 0
    assert script.main(["--check", "--readme", str(stale)]) == 0


def test_mode_is_defined_once() -> None:
    from wattprint.results import Mode

    assert get_args(Mode) == MODES == ("process", "machine")


def test_every_name_is_unique() -> None:
    for names in (
        [s.name for s in SETTINGS],
        [s.env for s in SETTINGS],
        [n for s in SETTINGS for n in s.codecarbon],
        [s.cli for s in SETTINGS if s.cli],
    ):
        assert len(names) == len(set(names))
    assert not {n for s in SETTINGS for n in s.codecarbon} & CODECARBON_UNSUPPORTED.keys()


# a value differing from the default, for each setting
SAMPLES: dict[str, object] = {
    "project": "p",
    "experiment": "e",
    "country": "FR",
    "region": "US-CA",
    "cloud": "gcp:europe-west1",
    "cloud_provider": "aws",
    "cloud_region": "eu-west-3",
    "geoip": True,
    "live_provider": "uk",
    "electricitymaps_token": "secret",
    "interval_s": 2.0,
    "checkpoint_s": 60.0,
    "mode": "machine",
    "output_dir": Path("out"),
    "output_file": "x.csv",
    "save_to_file": False,
    "pue": 1.5,
    "wue": 0.5,
    "embodied_kg": 100.0,
    "lifetime_years": 5.0,
    "gpu_ids": ("0",),
    "gpu_attribution": "whole",
    "force_cpu_power_w": 10.0,
    "force_ram_power_w": 3.0,
    "force_intensity_g_per_kwh": 123.0,
    "log_level": logging.ERROR,
    "server_url": "http://127.0.0.1:9",
    "server_token": "cpt_x",
    "budget_kwh": 0.5,
    "budget_kg": 2.0,
    "on_budget": "stop",
}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_each_tracker_keyword_reaches_its_setting(setting: object, clean: Path) -> None:
    name = setting.name  # type: ignore[attr-defined]
    value = SAMPLES[name]
    base: dict[str, object] = {"force_intensity_g_per_kwh": 99.0}
    if name not in ("save_to_file", "output_dir", "output_file"):
        base["save_to_file"] = False
    default = Tracker(**base, handle_signals=False, env={})  # type: ignore[arg-type]
    assert getattr(default.settings, name) != value
    tracker = Tracker(**{**base, name: value}, handle_signals=False, env={})  # type: ignore[arg-type]
    assert getattr(tracker.settings, name) == value
    assert tracker.settings.source_of(name) == "argument"


# -- resolving has no side effects; an argument beats everything -------------


def test_resolving_creates_nothing_and_writes_no_environment(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    before = dict(os.environ)
    settings = resolve_settings(
        {"output_dir": target, "electricitymaps_token": "tok", "live_provider": "electricitymaps"},
        env={},
        cwd=tmp_path,
        home=tmp_path,
    )
    assert settings.output_dir == target and settings.save_to_file
    assert not (tmp_path / "a").exists()
    assert dict(os.environ) == before


def test_tracker_makes_the_output_dir_when_the_row_is_written(clean: Path) -> None:
    target = clean / "results" / "deep"
    tracker = Tracker(
        output_dir=target, country="FR", interval_s=0.05, force_cpu_power_w=1.0,
        force_ram_power_w=1.0, handle_signals=False,
    )  # fmt: skip
    assert not target.exists()
    tracker.start()
    tracker.stop()
    assert (target / "emissions.csv").is_file()


def test_output_dir_is_checked_without_creating_it(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match=r"file is a file"):
        resolve_settings({"output_dir": a_file / "x" / "y"}, env={}, cwd=tmp_path, home=tmp_path)
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ConfigError, match="cannot write to"):
            resolve_settings({"output_dir": locked / "sub"}, env={}, cwd=tmp_path, home=tmp_path)
        assert not (locked / "sub").exists()


def test_an_argument_beats_the_environment_even_when_none(clean: Path) -> None:
    env = {"WATTPRINT_LIVE_PROVIDER": "uk", "WATTPRINT_COUNTRY": "DE", "WATTPRINT_PUE": "1.3"}
    tracker = Tracker(
        live_provider=None, country="GB", pue=None, save_to_file=False, env=env,
        handle_signals=False,
    )  # fmt: skip
    s = tracker.settings
    assert (s.live_provider, s.country, s.pue) == (None, "GB", None)
    assert {s.source_of(k) for k in ("live_provider", "country", "pue")} == {"argument"}


# -- config show ---------------------------------------------------------------


def _config_show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["config", "show", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_config_show_says_default_for_defaults(
    clean: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _config_show(capsys, "--json")
    assert code == 0
    data = json.loads(out)
    assert list(data) == [s.name for s in SETTINGS]
    assert data["save_to_file"] == {"value": "True", "source": "default"}
    assert {v["source"] for v in data.values()} == {"default"}
    assert not (clean / "emissions.csv").exists() and list(clean.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("WATTPRINT_SAVE_TO_FILE", "maybe", "save_to_file='maybe'"),
        ("WATTPRINT_COUNTRY", "ZZ", "'ZZ'"),
        ("WATTPRINT_INTERVAL_S", "1e400", "interval_s='1e400'"),
    ],
)
def test_config_show_fails_where_tracker_fails(
    variable: str,
    value: str,
    named: str,
    clean: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        Tracker(handle_signals=False)
    code, out, err = _config_show(capsys)
    assert code == 1 and out == ""
    assert f"invalid {info.value.key}={info.value.value!r}" in err and info.value.accepted in err
    assert named in err and variable in err  # the source is named


# -- CodeCarbon's names --------------------------------------------------------


def test_codecarbon_names_that_map(clean: Path) -> None:
    (clean / ".codecarbon.config").write_text(
        "[codecarbon]\nforce_carbon_intensity_g_co2e_kwh = 55\ngpu_ids = 0,2\n"
    )
    s = resolve_settings({}, env={"CODECARBON_CO2_SIGNAL_API_TOKEN": "t"}, cwd=clean, home=clean)
    assert s.force_intensity_g_per_kwh == 55.0 and s.gpu_ids == ("0", "2")
    assert s.source_of("gpu_ids").endswith(".codecarbon.config")
    assert s.electricitymaps_token == "t"
    assert s.source_of("electricitymaps_token") == (
        "environment variable CODECARBON_CO2_SIGNAL_API_TOKEN"
    )


def test_codecarbon_names_not_taken_are_named_once_with_the_reason(
    clean: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (clean / ".codecarbon.config").write_text("[codecarbon]\napi_key = k\nsave_to_api = true\n")
    env = {"CODECARBON_EXPERIMENT_ID": "x", "CODECARBON_PROJECT_NAM": "typo"}
    with caplog.at_level(logging.WARNING, "wattprint"):
        resolve_settings({}, env=env, cwd=clean, home=clean)
    lines = caplog.text.splitlines()
    assert sum("api_key" in line for line in lines) == 1
    assert any("api_key" in line and "online API" in line for line in lines)
    assert any("save_to_api" in line for line in lines)
    assert any("CODECARBON_EXPERIMENT_ID" in line and "online API" in line for line in lines)
    typo = [line for line in lines if "CODECARBON_PROJECT_NAM" in line]
    assert len(typo) == 1 and "did you mean 'CODECARBON_PROJECT_NAME'" in typo[0]


def test_switch_flags_set_the_opposite_of_the_default() -> None:
    flags = [s for s in SETTINGS if s.cli and isinstance(s.parser, Switch)]
    assert [(s.cli, s.default) for s in flags] == [("--no-save", True)]

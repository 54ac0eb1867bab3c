"""Settings resolution: precedence, sources, CodeCarbon names, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.settings.resolve import UNSET, describe, resolve_settings


def _resolve(
    tmp_path: Path, args: dict[str, object] | None = None, env: dict[str, str] | None = None
):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    cwd = tmp_path / "work"
    cwd.mkdir(exist_ok=True)
    base = {"output_dir": str(tmp_path / "out")}
    return resolve_settings({**base, **(args or {})}, env=env or {}, cwd=cwd, home=home)


def test_defaults(tmp_path: Path) -> None:
    s = _resolve(tmp_path)
    assert s.interval_s == 5.0 and s.mode == "process" and s.country is None and s.pue is None
    assert s.source_of("interval_s") == "default" and s.source_of("output_dir") == "argument"


def test_precedence_argument_env_files_codecarbon(tmp_path: Path) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    (work / ".wattprint.toml").write_text('country = "DE"\ninterval_s = 2\nproject = "local"\n')
    (work / "pyproject.toml").write_text('[tool.wattprint]\nexperiment = "from-pyproject"\n')
    (home / ".config" / "wattprint").mkdir(parents=True)
    (home / ".config" / "wattprint" / "config.toml").write_text('mode = "machine"\npue = 1.2\n')
    (work / ".codecarbon.config").write_text(
        "[codecarbon]\nproject_name = cc\nmeasure_power_secs = 30\nforce_cpu_power = 42\n"
        "api_key = ignored\n"
    )
    env = {
        "WATTPRINT_INTERVAL_S": "3",
        "CODECARBON_COUNTRY_ISO_CODE": "FRA",
        "CODECARBON_TRACKING_MODE": "process",
    }
    s = resolve_settings(
        {"project": "arg", "region": UNSET, "output_dir": str(tmp_path)},
        env=env,
        cwd=work,
        home=home,
    )
    assert s.project == "arg" and s.source_of("project") == "argument"
    assert (
        s.interval_s == 3.0
        and s.source_of("interval_s") == "environment variable WATTPRINT_INTERVAL_S"
    )
    assert s.country == "DE" and s.source_of("country").endswith(".wattprint.toml")
    assert s.experiment == "from-pyproject" and "[tool.wattprint]" in s.source_of("experiment")
    assert s.mode == "machine" and s.pue == 1.2  # user file beats CodeCarbon's env
    assert s.force_cpu_power_w == 42.0 and s.source_of("force_cpu_power_w").endswith(
        ".codecarbon.config"
    )
    rows = {k: (v, src) for k, v, src in describe(s)}
    assert rows["interval_s"] == ("3.0", "environment variable WATTPRINT_INTERVAL_S")


def test_codecarbon_env_names_are_mapped(tmp_path: Path) -> None:
    s = _resolve(
        tmp_path, env={"CODECARBON_MEASURE_POWER_SECS": "7", "CODECARBON_PROJECT_NAME": "cc"}
    )
    assert s.interval_s == 7.0 and s.project == "cc"
    assert s.source_of("interval_s") == "environment variable CODECARBON_MEASURE_POWER_SECS"


def test_bad_env_value_names_key_value_and_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, env={"WATTPRINT_INTERVAL_S": "fast"})
    message = str(info.value)
    assert "interval_s='fast'" in message and "WATTPRINT_INTERVAL_S" in message
    assert "seconds from 0.01 to 86400" in message and info.value.source.startswith("environment")


def test_unknown_key_in_a_file_names_the_closest(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".wattprint.toml").write_text('contry = "FR"\n')
    with pytest.raises(ConfigError, match="did you mean 'country'"):
        resolve_settings({}, env={}, cwd=work, home=tmp_path)


def test_unknown_env_variable_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "wattprint"):
        _resolve(tmp_path, env={"WATTPRINT_CONTRY": "FR", "WATTPRINT_RAPL_DIR": "/x"})
    assert "WATTPRINT_CONTRY" in caplog.text and "WATTPRINT_COUNTRY" in caplog.text
    assert "RAPL_DIR" not in caplog.text


def test_damaged_toml_names_the_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".wattprint.toml").write_text("country = \n")
    with pytest.raises(ConfigError, match=r"\.wattprint\.toml.*valid TOML"):
        resolve_settings({}, env={}, cwd=work, home=tmp_path)


def test_bool_and_none_from_text(tmp_path: Path) -> None:
    s = _resolve(
        tmp_path, env={"WATTPRINT_SAVE_TO_FILE": "no", "WATTPRINT_GEOIP": "1", "WATTPRINT_PUE": ""}
    )
    assert s.save_to_file is False and s.geoip is True and s.pue is None


def test_none_can_be_set_explicitly_over_a_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / ".wattprint.toml").write_text('country = "DE"\n')
    s = resolve_settings({"country": None, "save_to_file": False}, env={}, cwd=work, home=tmp_path)
    assert s.country is None and s.source_of("country") == "argument"


def test_token_is_masked(tmp_path: Path) -> None:
    s = _resolve(tmp_path, args={"electricitymaps_token": "secret"})
    rows = {k: v for k, v, _ in describe(s)}
    assert rows["electricitymaps_token"] == "***"

"""Settings resolution: precedence, sources, CodeCarbon names, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.settings.parsers import Number
from wattprint.settings.resolve import UNSET, describe, resolve_settings
from wattprint.settings.schema import SETTINGS, by_name


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


def test_a_pyproject_without_wattprint_is_not_parsed_and_one_with_it_must_be_toml(
    tmp_path: Path,
) -> None:
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    # Another tool's table, even one this parser would refuse, is none of wattprint's business.
    (work / "pyproject.toml").write_text('[tool.other]\nkey = "unterminated\n')
    s = resolve_settings({"output_dir": str(tmp_path)}, env={}, cwd=work, home=home)
    assert s.experiment == "default" and s.source_of("experiment") == "default"
    (work / "pyproject.toml").write_text('[tool.wattprint]\nexperiment = "unterminated\n')
    with pytest.raises(ConfigError, match="valid TOML"):
        resolve_settings({"output_dir": str(tmp_path)}, env={}, cwd=work, home=home)
    (work / "pyproject.toml").write_bytes(b"[tool.wattprint]\nexperiment = '\xff'\n")
    with pytest.raises(ConfigError, match="UTF-8"):
        resolve_settings({"output_dir": str(tmp_path)}, env={}, cwd=work, home=home)


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


# -- bad input escapes no longer (issue 10, item 11) ---------------------------

NUMERIC = [s.name for s in SETTINGS if isinstance(s.parser, Number)] + ["log_level"]


@pytest.mark.parametrize("key", NUMERIC)
def test_a_huge_integer_is_a_config_error(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, args={key: 10**400})
    assert info.value.key == key and info.value.source == "argument"
    assert "expected" in str(info.value) and "(from argument)" in str(info.value)
    assert len(str(info.value)) < 300  # the 401 digits are cut short
    work = tmp_path / "work"
    (work / ".wattprint.toml").write_text(f"{key} = {10**400}\n")
    with pytest.raises(ConfigError, match=rf"invalid {key}='?1000.*\.wattprint\.toml"):
        _resolve(tmp_path)


@pytest.mark.parametrize("key", ["interval_s", "checkpoint_s"])
@pytest.mark.parametrize("value", [0.0099, 86400.5, 1e308, 1e-300, "1e400", "-inf", "nan"])
def test_intervals_are_bounded_to_a_day(tmp_path: Path, key: str, value: object) -> None:
    env = {f"WATTPRINT_{key.upper()}": value} if isinstance(value, str) else None
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, args=None if env else {key: value}, env=env)
    assert info.value.key == key and "from 0.01 to 86400" in str(info.value)
    assert _resolve(tmp_path, args={key: 0.01}).__getattribute__(key) == 0.01
    assert _resolve(tmp_path, args={key: 86400}).__getattribute__(key) == 86400.0


@pytest.mark.parametrize(
    "value",
    ["x" * 100_000, "out\x00dir", f"{'y' * 300}/z", "a\nb"],
    ids=["long", "nul", "long-name", "newline"],
)
def test_odd_output_dirs_are_config_errors(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, args={"output_dir": value})
    assert info.value.key == "output_dir" and "without NUL" in str(info.value)
    assert len(str(info.value)) < 400  # a 100,000-character value is shortened
    with pytest.raises(ConfigError, match="WATTPRINT_OUTPUT_DIR"):  # even when not saving
        env = {"WATTPRINT_OUTPUT_DIR": value, "WATTPRINT_SAVE_TO_FILE": "0"}
        resolve_settings({}, env=env, cwd=tmp_path, home=tmp_path)


@pytest.mark.parametrize("value", ["a\x00.csv", "a\n.csv", "a\r.csv", "..", "z" * 300 + ".csv"])
def test_odd_output_files_are_config_errors(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, args={"output_file": value})
    assert info.value.key == "output_file" and "without directories, NUL or line breaks" in str(
        info.value
    )


def test_mode_is_case_insensitive_from_every_source(tmp_path: Path) -> None:
    assert _resolve(tmp_path, args={"mode": "MACHINE"}).mode == "machine"
    assert _resolve(tmp_path, env={"WATTPRINT_MODE": "Machine"}).mode == "machine"
    assert _resolve(tmp_path, env={"CODECARBON_TRACKING_MODE": "PROCESS"}).mode == "process"
    (tmp_path / "work" / ".wattprint.toml").write_text('mode = "MACHINE"\n')
    assert _resolve(tmp_path).mode == "machine"


def test_unknown_env_variable_one_typo_away_names_the_real_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "wattprint"):
        s = _resolve(tmp_path, env={"WATTPRINT_INTERVL_S": "1"})
    assert s.interval_s == 5.0
    assert "WATTPRINT_INTERVL_S" in caplog.text
    assert "did you mean 'WATTPRINT_INTERVAL_S'" in caplog.text


@pytest.mark.parametrize(
    ("where", "source"),
    [
        ("argument", "argument"),
        ("env", "environment variable WATTPRINT_PUE"),
        ("toml", ".wattprint.toml"),
        ("codecarbon", ".codecarbon.config"),
    ],
)
def test_every_error_names_key_value_source_and_accepted(
    tmp_path: Path, where: str, source: str
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    args: dict[str, object] = {}
    env: dict[str, str] = {}
    if where == "argument":
        args["pue"] = 0.5
    elif where == "env":
        env["WATTPRINT_PUE"] = "0.5"
    elif where == "toml":
        (work / ".wattprint.toml").write_text("pue = 0.5\n")
    else:
        (work / ".codecarbon.config").write_text("[codecarbon]\npue = 0.5\n")
    with pytest.raises(ConfigError) as info:
        _resolve(tmp_path, args=args, env=env)
    err = info.value
    assert (err.key, err.accepted) == ("pue", by_name()["pue"].accepted)
    assert err.source.endswith(source) and str(err.value) == "0.5"
    assert f"invalid pue={err.value!r} (from {err.source}): expected " in str(err)

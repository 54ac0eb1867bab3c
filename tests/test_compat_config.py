"""No CodeCarbon setting dropped in silence: every key of .codecarbon.config and CODECARBON_*.

Each key CodeCarbon 3.3.2 reads (its tracker's keywords, as recorded from the
real package in tests/fixtures/codecarbon/interface.json) is either mapped to
a wattprint setting, whose value and source then say so, or named in one
warning that says why it is not taken. A typo is named with the closest key.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from wattprint.settings.resolve import resolve_settings
from wattprint.settings.schema import CODECARBON_UNSUPPORTED, codecarbon_names

INTERFACE = json.loads(
    (Path(__file__).parent / "fixtures" / "codecarbon" / "interface.json").read_text()
)
KEYS = sorted(set(INTERFACE["EmissionsTracker"]) | set(INTERFACE["OfflineEmissionsTracker"]))

# A value CodeCarbon takes for each key it maps, and what wattprint makes of it.
MAPPED: dict[str, tuple[str, str, object]] = {
    "project_name": ("p1", "project", "p1"),
    "experiment_name": ("exp", "experiment", "exp"),
    "country_iso_code": ("FRA", "country", "FRA"),
    "region": ("california", "region", "california"),
    "cloud_provider": ("gcp", "cloud_provider", "gcp"),
    "cloud_region": ("europe-west1", "cloud_region", "europe-west1"),
    "electricitymaps_api_token": ("tok", "electricitymaps_token", "tok"),
    "co2_signal_api_token": ("tok2", "electricitymaps_token", "tok2"),
    "measure_power_secs": ("7", "interval_s", 7.0),
    "tracking_mode": ("machine", "mode", "machine"),
    "output_dir": ("out", "output_dir", Path("out")),
    "output_file": ("cc.csv", "output_file", "cc.csv"),
    "save_to_file": ("False", "save_to_file", False),
    "pue": ("1.4", "pue", 1.4),
    "wue": ("1.1", "wue", 1.1),
    "gpu_ids": ("0,1", "gpu_ids", ("0", "1")),
    "force_cpu_power": ("45", "force_cpu_power_w", 45.0),
    "force_ram_power": ("6", "force_ram_power_w", 6.0),
    "force_carbon_intensity_g_co2e_kwh": ("100", "force_intensity_g_per_kwh", 100.0),
    "log_level": ("error", "log_level", logging.ERROR),
}


def test_every_codecarbon_key_is_mapped_or_named() -> None:
    for key in KEYS:
        assert key in codecarbon_names() or key in CODECARBON_UNSUPPORTED, key
    assert set(MAPPED) == set(codecarbon_names())


def _resolve(tmp_path: Path, key: str, value: str, where: str) -> object:
    if where == "file":
        (tmp_path / ".codecarbon.config").write_text(f"[codecarbon]\n{key} = {value}\n")
        env: dict[str, str] = {}
    else:
        env = {f"CODECARBON_{key.upper()}": value}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return resolve_settings({}, env=env, cwd=tmp_path, home=home)


@pytest.mark.parametrize("where", ["file", "env"])
@pytest.mark.parametrize("key", sorted(MAPPED))
def test_mapped_key(tmp_path: Path, key: str, where: str) -> None:
    value, setting, expected = MAPPED[key]
    settings = _resolve(tmp_path, key, value, where)
    assert getattr(settings, setting) == expected
    source = settings.source_of(setting)  # type: ignore[attr-defined]
    assert (".codecarbon.config" in source) if where == "file" else (key.upper() in source)


@pytest.mark.parametrize("where", ["file", "env"])
@pytest.mark.parametrize("key", sorted(CODECARBON_UNSUPPORTED))
def test_unsupported_key_is_named_with_its_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, where: str
) -> None:
    caplog.set_level(logging.WARNING, logger="wattprint")
    _resolve(tmp_path, key, "1", where)
    named = key if where == "file" else f"CODECARBON_{key.upper()}"
    ours = [r.getMessage() for r in caplog.records if named in r.getMessage()]
    assert len(ours) == 1, caplog.text
    assert CODECARBON_UNSUPPORTED[key] in ours[0]


@pytest.mark.parametrize("where", ["file", "env"])
def test_a_typo_is_named_with_the_closest_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    caplog.set_level(logging.WARNING, logger="wattprint")
    settings = _resolve(tmp_path, "force_carbon_intensity_g_co2_kwh", "100", where)
    assert settings.force_intensity_g_per_kwh is None  # type: ignore[attr-defined]
    assert "force_carbon_intensity_g_co2e_kwh" in caplog.text.lower()
    assert "unknown" in caplog.text


def test_forced_intensity_from_the_file_reaches_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The switcher's forced 100 g/kWh is the one used, not the table's."""
    from wattprint.tracking.tracker import Tracker

    (tmp_path / ".codecarbon.config").write_text(
        "[codecarbon]\nforce_carbon_intensity_g_co2e_kwh = 100\ncountry_iso_code = FRA\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    tracker = Tracker(save_to_file=False, interval_s=0.1, env={})
    assert tracker.grid.intensity.intensity_g_per_kwh == 100

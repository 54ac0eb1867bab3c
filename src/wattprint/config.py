"""Tracker settings, validated once into a frozen object.

Every value is checked when the tracker is made, before anything is
measured, and a bad one raises :class:`ConfigError` naming the setting, the
value and what would be accepted.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from .errors import ConfigError, choices
from .results import Mode

MODES: tuple[Mode, ...] = ("process", "machine")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved tracker settings. See :class:`wattprint.Tracker` for each."""

    project: str = "default"
    experiment: str = "default"
    country: str | None = None
    region: str | None = None
    interval_s: float = 5.0
    mode: Mode = "process"
    output_dir: Path = Path(".")
    output_file: str = "emissions.csv"
    save_to_file: bool = True
    pue: float = 1.0
    force_cpu_power_w: float | None = None
    force_ram_power_w: float | None = None
    force_intensity_g_per_kwh: float | None = None
    log_level: int | None = None


def _number(key: str, value: object, *, minimum: float, strict: bool, accepted: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(key, value, accepted)
    number = float(value)
    if not math.isfinite(number) or number < minimum or (strict and number == minimum):
        raise ConfigError(key, value, accepted)
    return number


def _optional(key: str, value: object, accepted: str) -> float | None:
    if value is None:
        return None
    return _number(key, value, minimum=0.0, strict=False, accepted=accepted)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, value, "a non-empty string")
    return value.strip()


def _log_level(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in LOG_LEVELS:
        return cast(int, getattr(logging, value.upper()))
    raise ConfigError("log_level", value, choices(LOG_LEVELS) + " or a logging level number")


def check_output_dir(path: Path) -> Path:
    """Create ``path`` if needed and check it is a writable directory.

    Raises:
        ConfigError: it cannot be created, is not a directory, or is read-only.
    """
    if path.exists() and not path.is_dir():
        raise ConfigError("output_dir", str(path), "a directory, not a file")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ConfigError(
            "output_dir", str(path), f"a directory that can be created ({err.strerror})"
        ) from err
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError("output_dir", str(path), "a directory this user can write to")
    return path


def make_settings(
    *,
    project: object = "default",
    experiment: object = "default",
    country: object = None,
    region: object = None,
    interval_s: object = 5.0,
    mode: object = "process",
    output_dir: object = ".",
    output_file: object = "emissions.csv",
    save_to_file: object = True,
    pue: object = 1.0,
    force_cpu_power_w: object = None,
    force_ram_power_w: object = None,
    force_intensity_g_per_kwh: object = None,
    log_level: object = None,
) -> Settings:
    """Validate the tracker's arguments into :class:`Settings`.

    Raises:
        ConfigError: a value is not accepted; the message says what would be.
    """
    if mode not in MODES:
        raise ConfigError("mode", mode, choices(MODES))
    if not isinstance(output_dir, (str, os.PathLike)):
        raise ConfigError("output_dir", output_dir, "a path")
    name = _text("output_file", output_file)
    if Path(name).name != name:
        raise ConfigError("output_file", output_file, "a file name without directories")
    if not isinstance(save_to_file, bool):
        raise ConfigError("save_to_file", save_to_file, "True or False")
    out = Path(output_dir)
    if save_to_file:
        out = check_output_dir(out)
    return Settings(
        project=_text("project", project),
        experiment=_text("experiment", experiment),
        country=None if country is None else _text("country", country),
        region=None if region is None else _text("region", region),
        interval_s=_number(
            "interval_s", interval_s, minimum=0.0, strict=True, accepted="a number of seconds > 0"
        ),
        mode=mode,
        output_dir=out,
        output_file=name,
        save_to_file=save_to_file,
        pue=_number("pue", pue, minimum=1.0, strict=False, accepted="a number >= 1.0"),
        force_cpu_power_w=_optional("force_cpu_power_w", force_cpu_power_w, "watts >= 0 or None"),
        force_ram_power_w=_optional("force_ram_power_w", force_ram_power_w, "watts >= 0 or None"),
        force_intensity_g_per_kwh=_optional(
            "force_intensity_g_per_kwh", force_intensity_g_per_kwh, "gCO2e/kWh >= 0 or None"
        ),
        log_level=_log_level(log_level),
    )

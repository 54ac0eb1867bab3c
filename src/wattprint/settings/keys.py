"""Every setting wattprint knows: its parser, and its names elsewhere.

One table, so that arguments, environment variables, config files and
CodeCarbon's names are all checked the same way.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections.abc import Callable
from pathlib import Path

from wattprint.errors import ConfigError, choices

MODES = ("process", "machine")
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

_Parser = Callable[[str, object, str, bool], object]


def _fail(key: str, value: object, accepted: str, source: str) -> ConfigError:
    return ConfigError(key, value, accepted, "" if source == "argument" else source)


def _text(key: str, value: object, source: str, from_text: bool) -> object:
    if not isinstance(value, str) or not value.strip():
        raise _fail(key, value, "a non-empty string", source)
    return value.strip()


def _optional_text(key: str, value: object, source: str, from_text: bool) -> object:
    if value is None or (from_text and isinstance(value, str) and not value.strip()):
        return None
    return _text(key, value, source, from_text)


def _number(minimum: float, strict: bool, optional: bool, accepted: str) -> _Parser:
    def parse(key: str, value: object, source: str, from_text: bool) -> object:
        if value is None and optional:
            return None
        raw = value
        if from_text and isinstance(value, str):
            if optional and not value.strip():
                return None
            try:
                value = float(value)
            except ValueError:
                raise _fail(key, raw, accepted, source) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(key, raw, accepted, source)
        number = float(value)
        if not math.isfinite(number) or number < minimum or (strict and number == minimum):
            raise _fail(key, raw, accepted, source)
        return number

    return parse


def _bool(key: str, value: object, source: str, from_text: bool) -> object:
    if isinstance(value, bool):
        return value
    if from_text and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
    raise _fail(key, value, "True or False (or 1/0, yes/no in text)", source)


def _choice(options: tuple[str, ...], optional: bool = False) -> _Parser:
    def parse(key: str, value: object, source: str, from_text: bool) -> object:
        if value is None and optional:
            return None
        if isinstance(value, str) and value.strip().lower() in options:
            return value.strip().lower()
        raise _fail(key, value, choices(options), source)

    return parse


def _log_level(key: str, value: object, source: str, from_text: bool) -> object:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in LOG_LEVELS:
        level: int = getattr(logging, value.strip().upper())
        return level
    raise _fail(key, value, choices(LOG_LEVELS) + " or a logging level number", source)


def _path(key: str, value: object, source: str, from_text: bool) -> object:
    if isinstance(value, (str, Path)) and str(value).strip():
        return Path(str(value).strip()).expanduser()
    raise _fail(key, value, "a path", source)


def _file_name(key: str, value: object, source: str, from_text: bool) -> object:
    name = _text(key, value, source, from_text)
    if not isinstance(name, str) or Path(name).name != name:
        raise _fail(key, value, "a file name without directories", source)
    return name


def _cloud(key: str, value: object, source: str, from_text: bool) -> object:
    if value is None:
        return None
    if isinstance(value, str) and value.count(":") == 1 and all(value.split(":")):
        return value.strip()
    raise _fail(key, value, "'provider:region', e.g. 'gcp:europe-west1'", source)


def _gpu_ids(key: str, value: object, source: str, from_text: bool) -> object:
    if value is None:
        return None
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)) and all(
        isinstance(v, (int, str)) and not isinstance(v, bool) for v in value
    ):
        items = [str(v).strip() for v in value]
    else:
        raise _fail(key, value, "GPU indices or UUIDs, e.g. [0, 1] or '0,GPU-5c3b...'", source)
    return tuple(items)


_POSITIVE = _number(0.0, True, False, "a number of seconds > 0")
_WATTS = _number(0.0, False, True, "watts >= 0, or None")

KEYS: dict[str, _Parser] = {
    "project": _text,
    "experiment": _text,
    "country": _optional_text,
    "region": _optional_text,
    "cloud": _cloud,
    "cloud_provider": _optional_text,
    "cloud_region": _optional_text,
    "geoip": _bool,
    "live_provider": _optional_text,
    "electricitymaps_token": _optional_text,
    "interval_s": _POSITIVE,
    "checkpoint_s": _POSITIVE,
    "mode": _choice(MODES),
    "output_dir": _path,
    "output_file": _file_name,
    "save_to_file": _bool,
    "pue": _number(1.0, False, True, "a number >= 1.0, or None for the default"),
    "wue": _number(0.0, False, True, "litres per kWh >= 0, or None for the default"),
    "embodied_kg": _number(0.0, False, True, "kg CO2e >= 0 for the whole machine, or None"),
    "lifetime_years": _number(0.0, True, False, "years > 0"),
    "gpu_ids": _gpu_ids,
    "force_cpu_power_w": _WATTS,
    "force_ram_power_w": _WATTS,
    "force_intensity_g_per_kwh": _number(0.0, False, True, "gCO2e/kWh >= 0, or None"),
    "log_level": _log_level,
}
"""Every setting and its parser, in the order ``config show`` lists them."""

ENV_ONLY = frozenset(
    {
        "WATTPRINT_RAPL_DIR",
        "WATTPRINT_ELECTRICITYMAPS_URL",
        "WATTPRINT_UK_CARBON_URL",
        "WATTPRINT_RUN_GROUP",
        "WATTPRINT_DMI_DIR",
    }
)
"""Environment variables that are not settings (read where they are used)."""

CODECARBON_NAMES: dict[str, str] = {
    "project_name": "project",
    "experiment_name": "experiment",
    "country_iso_code": "country",
    "region": "region",
    "cloud_provider": "cloud_provider",
    "cloud_region": "cloud_region",
    "measure_power_secs": "interval_s",
    "tracking_mode": "mode",
    "output_dir": "output_dir",
    "output_file": "output_file",
    "save_to_file": "save_to_file",
    "pue": "pue",
    "wue": "wue",
    "force_cpu_power": "force_cpu_power_w",
    "force_ram_power": "force_ram_power_w",
    "log_level": "log_level",
    "electricitymaps_api_token": "electricitymaps_token",
}
"""CodeCarbon's setting names (lower case) and the wattprint settings they map to."""


def parse(key: str, value: object, source: str, *, from_text: bool) -> object:
    """Check and convert ``value`` for setting ``key``.

    Raises:
        ConfigError: the value is not accepted; names the key, value and source.
    """
    return KEYS[key](key, value, source, from_text)


def suggest(key: str, prefix: str = "") -> str:
    """Return ``"; did you mean 'x'?"`` for the closest known key, or ''."""
    close = difflib.get_close_matches(key.lower(), list(KEYS), n=1, cutoff=0.6)
    if not close:
        return ""
    name = f"{prefix}{close[0].upper()}" if prefix else close[0]
    return f"; did you mean {name!r}?"


def add_units(total: float, current: str, count: object, unit: object) -> tuple[float, str]:
    """Return the run's functional units after adding ``count`` of ``unit``.

    Raises:
        ConfigError: a negative or non-finite count, an empty unit name, or a
            unit other than the one the run already counts.
    """
    if isinstance(count, bool) or not isinstance(count, (int, float)) or not (
        0 <= count < math.inf
    ):
        raise ConfigError("units", count, "a count >= 0")
    if not isinstance(unit, str) or not unit.strip():
        raise ConfigError("unit", unit, "a non-empty name such as 'inference'")
    if current and unit != current:
        raise ConfigError("unit", unit, f"the unit this run counts ({current!r})")
    return total + float(count), unit

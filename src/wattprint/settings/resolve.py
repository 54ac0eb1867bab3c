"""Settings, resolved once into a frozen object, with where each value came from.

Each setting is taken from the first of these that has it:

1. an argument (``Tracker(country="FR")``, ``--country FR``);
2. an environment variable ``WATTPRINT_<NAME>`` (``WATTPRINT_COUNTRY``);
3. ``./.wattprint.toml``, then ``[tool.wattprint]`` in ``./pyproject.toml``,
   then ``$XDG_CONFIG_HOME/wattprint/config.toml`` (``~/.config/...``);
4. for people switching from CodeCarbon: ``CODECARBON_<NAME>`` variables, then
   ``.codecarbon.config`` (``[codecarbon]`` section) in the current directory
   and the home directory, with the key names mapped to wattprint's;
5. the default.

Every value is checked before anything is measured: a bad one raises
:class:`ConfigError` naming the setting, the value, where it came from and
what is accepted; an unknown key in a wattprint file names the closest valid
key, and an unknown ``WATTPRINT_*`` or ``CODECARBON_*`` variable one typo away
from a known one gets a warning naming it. A CodeCarbon setting wattprint
does not take is named in one warning, with the reason.

Resolving has no side effects: nothing is created (the output directory is
made when the row is written) and the environment is only read.
"""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wattprint._log import logger
from wattprint._record import NamedTuple
from wattprint.errors import ConfigError
from wattprint.settings.schema import (
    CODECARBON_PREFIX,
    CODECARBON_UNSUPPORTED,
    ENV_ONLY,
    ENV_PREFIX,
    SETTINGS,
    GpuAttribution,
    Mode,
    by_name,
    codecarbon_names,
    suggest,
)


class Unset(enum.Enum):
    """Marks an argument that was not given (None is a value a user may set)."""

    UNSET = "unset"


UNSET = Unset.UNSET


class Settings(NamedTuple):
    """Resolved settings. See :class:`wattprint.Tracker` for what each means.

    The fields, their types and defaults are those of
    :data:`wattprint.settings.schema.SETTINGS` (a test checks they agree).
    ``sources`` says where each value came from, e.g.
    ``("country", "environment variable WATTPRINT_COUNTRY")``.
    """

    project: str = "default"
    experiment: str = "default"
    country: str | None = None
    region: str | None = None
    cloud: str | None = None
    cloud_provider: str | None = None
    cloud_region: str | None = None
    geoip: bool = False
    live_provider: str | None = None
    electricitymaps_token: str | None = None
    interval_s: float = 5.0
    checkpoint_s: float = 30.0
    mode: Mode = "process"
    output_dir: Path = Path(".")
    output_file: str = "emissions.csv"
    save_to_file: bool = True
    pue: float | None = None
    wue: float | None = None
    embodied_kg: float | None = None
    lifetime_years: float = 4.0
    gpu_ids: tuple[str, ...] | None = None
    gpu_attribution: GpuAttribution = "process"
    force_cpu_power_w: float | None = None
    force_ram_power_w: float | None = None
    force_intensity_g_per_kwh: float | None = None
    server_url: str | None = None
    server_token: str | None = None
    budget_kwh: float | None = None
    budget_kg: float | None = None
    on_budget: Any = "warn"
    log_level: int | None = None
    sources: tuple[tuple[str, str], ...] = ()

    def source_of(self, key: str) -> str:
        """Return where ``key``'s value came from (``default`` if nowhere)."""
        return dict(self.sources).get(key, "default")


_Layer = tuple[str, Mapping[str, Any], bool]  # (source, values, values_are_text)


def _read_toml(path: Path, mentions: bytes = b"") -> dict[str, Any]:
    """Parse ``path``; one that does not hold ``mentions`` anywhere is not parsed ({})."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return {}
    if mentions not in data:
        return {}  # a project's pyproject.toml with no [tool.wattprint]: nothing to parse
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError("config file", str(path), f"UTF-8 text ({err})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("config file", str(path), f"valid TOML ({err})") from err


def _check_known(values: Mapping[str, Any], source: str) -> None:
    known = by_name()
    for key in values:
        if key not in known:
            raise ConfigError(key, values[key], f"a known setting{suggest(key)}", source)


def _file_layers(cwd: Path, env: Mapping[str, str], home: Path) -> list[_Layer]:
    layers: list[_Layer] = []
    local = cwd / ".wattprint.toml"
    if local.is_file():
        values = _read_toml(local)
        _check_known(values, str(local))
        layers.append((str(local), values, False))
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject, mentions=b"wattprint").get("tool", {})
        values = tool.get("wattprint", {}) if isinstance(tool, dict) else {}
        if values:
            source = f"{pyproject} [tool.wattprint]"
            _check_known(values, source)
            layers.append((source, values, False))
    config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    user = config_home / "wattprint" / "config.toml"
    if user.is_file():
        values = _read_toml(user)
        _check_known(values, str(user))
        layers.append((str(user), values, False))
    return layers


def _env_layer(env: Mapping[str, str]) -> _Layer:
    known = by_name()
    values: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_ONLY:
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key in known:
            values[key] = value
        else:
            logger.warning(
                "wattprint: ignoring unknown environment variable %s%s",
                name,
                suggest(key, prefix=ENV_PREFIX),
            )
    return ("environment", values, True)


def _codecarbon_values(items: Mapping[str, str], where: str, prefix: str) -> dict[str, str]:
    """Map CodeCarbon's names to wattprint's; warn once about each one not taken."""
    names = codecarbon_names()
    values: dict[str, str] = {}
    for name, value in items.items():
        if name in names:
            values[names[name]] = value
        elif name in CODECARBON_UNSUPPORTED:
            logger.warning(
                "wattprint: ignoring CodeCarbon setting %s%s (in %s): %s",
                prefix,
                name.upper() if prefix else name,
                where,
                CODECARBON_UNSUPPORTED[name],
            )
        else:
            logger.warning(
                "wattprint: ignoring unknown CodeCarbon setting %s%s (in %s)%s",
                prefix,
                name.upper() if prefix else name,
                where,
                suggest(name, prefix, known=[*names, *CODECARBON_UNSUPPORTED]),
            )
    return values


def _codecarbon_layers(cwd: Path, env: Mapping[str, str], home: Path) -> list[_Layer]:
    from_env = {
        name[len(CODECARBON_PREFIX) :].lower(): value
        for name, value in env.items()
        if name.startswith(CODECARBON_PREFIX)
    }
    values = _codecarbon_values(from_env, "the environment", CODECARBON_PREFIX)
    layers: list[_Layer] = [("CodeCarbon environment", values, True)]
    same = cwd.absolute() == home.absolute()  # read a file once, even from home
    for directory in (cwd,) if same else (cwd, home):
        path = directory / ".codecarbon.config"
        if not path.is_file():
            continue
        import configparser

        parser = configparser.ConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error as err:
            raise ConfigError("config file", str(path), f"a valid INI file ({err})") from err
        if parser.has_section("codecarbon"):
            section = dict(parser["codecarbon"].items())
            layers.append((str(path), _codecarbon_values(section, str(path), ""), True))
    return layers


def _where(layer_source: str, key: str, env: Mapping[str, str]) -> str:
    if layer_source == "environment":
        return f"environment variable {ENV_PREFIX}{key.upper()}"
    if layer_source == "CodeCarbon environment":
        for name in by_name()[key].codecarbon:
            if CODECARBON_PREFIX + name.upper() in env:
                return f"environment variable {CODECARBON_PREFIX}{name.upper()}"
    return layer_source


def resolve_settings(
    arguments: Mapping[str, object],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> Settings:
    """Resolve every setting from arguments, environment, files and defaults.

    Nothing is created or written: the output directory is only checked.

    Args:
        arguments: the values given explicitly (``UNSET`` ones are skipped).
        env: the environment (default ``os.environ``); only read.
        cwd: where ``.wattprint.toml`` and ``pyproject.toml`` are looked for.
        home: the home directory (user config and ``~/.codecarbon.config``).

    Raises:
        ConfigError: a value is not accepted, or a file holds an unknown key;
            it names the key, the value, its source and what is accepted.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    home = Path.home() if home is None else home
    given = {k: v for k, v in arguments.items() if v is not UNSET}
    _check_known(given, "argument")
    layers: list[_Layer] = [("argument", given, False), _env_layer(env)]
    layers += _file_layers(cwd, env, home)
    layers += _codecarbon_layers(cwd, env, home)
    values: dict[str, object] = {}
    sources: list[tuple[str, str]] = []
    for setting in SETTINGS:
        for layer_source, layer, is_text in layers:
            if setting.name in layer:
                where = _where(layer_source, setting.name, env)
                value = setting.parser(setting.name, layer[setting.name], where, is_text)
                values[setting.name] = value
                sources.append((setting.name, where))
                break
    settings = Settings(**values, sources=tuple(sources))  # type: ignore[arg-type]
    if settings.save_to_file:
        check_output_dir(settings.output_dir, settings.source_of("output_dir"))
    return settings


def check_output_dir(path: Path, source: str = "") -> Path:
    """Check that ``path`` is, or can be made, a directory this user can write to.

    Nothing is created: the nearest existing directory on the way must be
    writable (the directory is made when the first row is written).

    Raises:
        ConfigError: it is a file, lies under a file, or cannot be written.
    """
    try:
        if path.exists() and not path.is_dir():
            raise ConfigError("output_dir", str(path), "a directory, not a file", source)
        nearest = path.absolute()
        while not nearest.exists() and nearest != nearest.parent:
            nearest = nearest.parent
    except OSError as err:  # e.g. a name too long for this file system
        accepted = f"a path this file system can hold ({err.strerror})"
        raise ConfigError("output_dir", str(path), accepted, source) from err
    if not nearest.is_dir():
        accepted = f"a directory that can be created ({nearest} is a file)"
        raise ConfigError("output_dir", str(path), accepted, source)
    if not os.access(nearest, os.W_OK | os.X_OK):
        accepted = "a directory this user can write to"
        if nearest != path.absolute():
            accepted += f" or create (cannot write to {nearest})"
        raise ConfigError("output_dir", str(path), accepted, source)
    return path


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """Return ``(key, value, source)`` rows for ``wattprint config show`` (secrets masked)."""
    rows = []
    for name, value in zip(settings._fields, settings, strict=True):
        if name == "sources":
            continue
        shown = "***" if name.endswith("token") and value else repr(value)
        if isinstance(value, Path):
            shown = str(value)
        rows.append((name, shown, settings.source_of(name)))
    return rows

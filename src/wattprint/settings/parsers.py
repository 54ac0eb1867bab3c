"""The value parsers the settings schema is built from.

A parser checks and converts one value. It knows whether the value came as
text (an environment variable, a CodeCarbon file, a command-line option) or
as a typed value (an argument, a TOML file), and it describes what it
accepts, so an error can name the key, the value, its source and the
accepted values, and the README can list them.

The parsers are made when the settings are imported, so they are plain
slotted classes (:class:`_Frozen`: immutable, equal by type and values) and
not dataclasses, which cost several times as much to define.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Protocol

from wattprint.errors import ConfigError, choices

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_LEVEL_NUMBERS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
"""The numbers :mod:`logging` gives those names (not imported: it costs milliseconds)."""
MAX_PATH_BYTES = 4096
"""Longest path accepted (Linux ``PATH_MAX``)."""
MAX_NAME_BYTES = 255
"""Longest file or directory name accepted (``NAME_MAX`` of common file systems)."""
_FORBIDDEN = ("\x00", "\n", "\r")


class Parser(Protocol):
    """Check and convert one setting's value."""

    @property
    def accepted(self) -> str:
        """Describe the values accepted, for errors and the README."""
        ...

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:
        """Return the converted value.

        Raises:
            ConfigError: the value is not accepted.
        """
        ...


class _Frozen:
    """An immutable value: its ``__slots__`` are its fields, set once by ``__init__``."""

    __slots__: tuple[str, ...] = ()

    def _set(self, **fields: object) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._fields() == self._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a {type(self).__name__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a {type(self).__name__}")

    def __reduce__(self) -> tuple[type[_Frozen], tuple[object, ...]]:
        return type(self), self._fields()  # ``__init__`` takes the fields in slot order


def fail(key: str, value: object, accepted: str, source: str) -> ConfigError:
    """Return the error for ``key=value`` from ``source``."""
    return ConfigError(key, value, accepted, source)


def _blank(value: object, from_text: bool) -> bool:
    return from_text and isinstance(value, str) and not value.strip()


def _odd_characters(text: str) -> bool:
    return any(c in text for c in _FORBIDDEN)


class Text(_Frozen):
    """A non-empty string; ``optional`` also takes None (or empty text)."""

    __slots__ = ("optional",)
    optional: bool

    def __init__(self, optional: bool = False) -> None:
        self._set(optional=optional)

    @property
    def accepted(self) -> str:  # noqa: D102
        return "a non-empty string" + (", or None" if self.optional else "")

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if self.optional and (value is None or _blank(value, from_text)):
            return None
        if not isinstance(value, str) or not value.strip():
            raise fail(key, value, self.accepted, source)
        return value.strip()


class Number(_Frozen):
    """A finite number within bounds; ``optional`` also takes None (or empty text).

    Attributes:
        noun: what the number counts, e.g. ``"seconds"`` (empty: a plain number).
        minimum: the lowest value accepted.
        maximum: the highest value accepted, if any.
        above_minimum: the minimum itself is refused (``> minimum``).
        optional: None is accepted.
    """

    __slots__ = ("noun", "minimum", "maximum", "above_minimum", "optional")
    noun: str
    minimum: float
    maximum: float | None
    above_minimum: bool
    optional: bool

    def __init__(
        self,
        noun: str = "",
        minimum: float = 0.0,
        maximum: float | None = None,
        above_minimum: bool = False,
        optional: bool = False,
    ) -> None:
        self._set(
            noun=noun, minimum=minimum, maximum=maximum, above_minimum=above_minimum,
            optional=optional,
        )  # fmt: skip

    @property
    def accepted(self) -> str:  # noqa: D102
        what = f"a number of {self.noun}" if self.noun else "a number"
        if self.maximum is not None:
            bounds = f"from {self.minimum} to {self.maximum}"
        else:
            bounds = f"{'>' if self.above_minimum else '>='} {self.minimum}"
        return f"{what} {bounds}" + (", or None for the default" if self.optional else "")

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if self.optional and (value is None or _blank(value, from_text)):
            return None
        raw = value
        if from_text and isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise fail(key, _shorten(raw), self.accepted, source) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(key, _shorten(raw), self.accepted, source)
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range, e.g. 10**400
            raise fail(key, _shorten(raw), self.accepted, source) from None
        low_ok = number > self.minimum if self.above_minimum else number >= self.minimum
        high_ok = self.maximum is None or number <= self.maximum
        if not (math.isfinite(number) and low_ok and high_ok):
            raise fail(key, _shorten(raw), self.accepted, source)
        return number


class Switch(_Frozen):
    """True or False (1/0, yes/no, on/off in text)."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return "True or False (or 1/0, yes/no in text)"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if isinstance(value, bool):
            return value
        if from_text and isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off", ""):
                return False
        raise fail(key, value, self.accepted, source)


class Choice(_Frozen):
    """One of a few words, in any case."""

    __slots__ = ("options",)
    options: tuple[str, ...]

    def __init__(self, options: tuple[str, ...]) -> None:
        self._set(options=options)

    @property
    def accepted(self) -> str:  # noqa: D102
        return choices(self.options) + " (any case)"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if isinstance(value, str) and value.strip().lower() in self.options:
            return value.strip().lower()
        raise fail(key, value, self.accepted, source)


class BudgetAction(_Frozen):
    """What to do at 100 % of a budget: ``warn``, ``stop``, or (as an argument) a callable."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return "'warn' or 'stop' (any case), or a callable(budget, value) given as an argument"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if callable(value) and not from_text:
            return value
        if isinstance(value, str) and value.strip().lower() in ("warn", "stop"):
            return value.strip().lower()
        raise fail(key, value, self.accepted, source)


class LogLevel(_Frozen):
    """A logging level name or number, or None (leave the logger alone)."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return choices(LOG_LEVELS) + ", a logging level number from 0 to 100, or None"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if value is None or _blank(value, from_text):
            return None
        if isinstance(value, str) and value.strip().isdigit() and from_text:
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100:
            return value
        if isinstance(value, str) and value.strip().lower() in LOG_LEVELS:
            return _LEVEL_NUMBERS[value.strip().lower()]
        raise fail(key, _shorten(value), self.accepted, source)


class Directory(_Frozen):
    """A directory path (``~`` expanded), short enough for the file system."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return (
            f"a directory path of at most {MAX_PATH_BYTES} bytes, names of at most "
            f"{MAX_NAME_BYTES}, without NUL or line breaks"
        )

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if not isinstance(value, (str, Path)) or not str(value).strip():
            raise fail(key, value, self.accepted, source)
        text = str(value).strip()
        too_long = len(text.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES or any(
            len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES
            for part in Path(text).parts
        )
        if _odd_characters(text) or too_long:
            raise fail(key, _shorten(value), self.accepted, source)
        return Path(text).expanduser()


class FileName(_Frozen):
    """A file name without directories, NUL or line breaks."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return (
            f"a file name without directories, NUL or line breaks, of at most "
            f"{MAX_NAME_BYTES} bytes"
        )

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if not isinstance(value, str) or not value.strip():
            raise fail(key, value, self.accepted, source)
        name = value.strip()
        if (
            _odd_characters(name)
            or name in (".", "..")
            or Path(name).name != name
            or len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES
        ):
            raise fail(key, _shorten(value), self.accepted, source)
        return name


class CloudRegion(_Frozen):
    """``provider:region``, or None."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return "'provider:region', e.g. 'gcp:europe-west1', or None"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if value is None or _blank(value, from_text):
            return None
        if isinstance(value, str) and value.count(":") == 1 and all(value.strip().split(":")):
            return value.strip()
        raise fail(key, value, self.accepted, source)


class GpuIds(_Frozen):
    """GPU indices or UUIDs: a sequence, or comma-separated text; or None (all)."""

    __slots__ = ()

    @property
    def accepted(self) -> str:  # noqa: D102
        return "GPU indices or UUIDs, e.g. [0, 1] or '0,GPU-5c3b...', or None for all"

    def __call__(self, key: str, value: object, source: str, from_text: bool) -> object:  # noqa: D102
        if value is None:
            return None
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, (list, tuple)) and all(
            isinstance(v, (int, str)) and not isinstance(v, bool) for v in value
        ):
            return tuple(str(v).strip() for v in value)
        raise fail(key, value, self.accepted, source)


def _shorten(value: object) -> object:
    """Return ``value``, cut to a readable length for an error message."""
    text = str(value)
    return value if len(text) <= 80 else f"{text[:40]}...({len(text)} characters)"


def add_units(total: float, current: str, count: object, unit: object) -> tuple[float, str]:
    """Return the run's functional units after adding ``count`` of ``unit``.

    Raises:
        ConfigError: a negative or non-finite count, an empty unit name, or a
            unit other than the one the run already counts.
    """
    if isinstance(count, bool) or not isinstance(count, (int, float)):
        raise ConfigError("units", count, "a count >= 0")
    try:
        finite = 0 <= float(count) < math.inf
    except OverflowError:
        finite = False
    if not finite:
        raise ConfigError("units", count, "a count >= 0")
    if not isinstance(unit, str) or not unit.strip():
        raise ConfigError("unit", unit, "a non-empty name such as 'inference'")
    if current and unit != current:
        raise ConfigError("unit", unit, f"the unit this run counts ({current!r})")
    return total + float(count), unit

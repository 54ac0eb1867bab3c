"""The exceptions wattprint raises.

Every error derives from one root, chosen by what the caller can do about it::

    WattprintError
    ├── ConfigError (also ValueError)       a bad argument or setting: fix the value
    ├── SourceUnavailableError              a power source cannot be read here
    ├── MissingDependencyError (ImportError) an optional extra is not installed
    ├── ProviderError                       a data provider (API, table) failed
    ├── DataError                           a shipped or stored table is damaged
    └── BudgetExceeded                      a run passed its budget with on_budget="stop"

Messages name the bad value and what would be accepted. Attributes carry the
same facts in structured form, and every class pickles (so errors cross
process boundaries intact).

Warnings (a figure that had to be estimated, a setting not taken) go to the
``wattprint`` logger. When a program has configured no logging at all, the
logger's :class:`LogBridge` also hands each warning to Python's
:mod:`warnings` as a :class:`WattprintWarning`, so it reaches the user once
and can be filtered (``warnings.filterwarnings("ignore", category=WattprintWarning)``).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings
from collections.abc import Iterable


class WattprintError(Exception):
    """Root of every error raised by wattprint."""


class ConfigError(WattprintError, ValueError):
    """A setting has a value that is not accepted.

    Attributes:
        key: the setting's name, e.g. ``interval_s``.
        value: the value that was given.
        accepted: a human description of what would be accepted.
        source: where the value came from (an argument, an environment
            variable, a file), when known.
    """

    def __init__(self, key: str, value: object, accepted: str, source: str = "") -> None:
        self.key = key
        self.value = value
        self.accepted = accepted
        self.source = source
        super().__init__(key, value, accepted, source)

    def __str__(self) -> str:
        where = f" (from {self.source})" if self.source else ""
        return f"invalid {self.key}={self.value!r}{where}: expected {self.accepted}"


class SourceUnavailableError(WattprintError):
    """A power source cannot be used on this machine; ``reason`` says why."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(source, reason)

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class MissingDependencyError(WattprintError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""

    def __init__(self, module: str, extra: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(module, extra)

    def __str__(self) -> str:
        return (
            f"the optional module {self.module!r} is not installed; "
            f'install it with: pip install "wattprint[{self.extra}]"'
        )


class ProviderError(WattprintError):
    """A data provider (a live API or a lookup) could not answer."""


class DataError(WattprintError):
    """A table wattprint reads is missing or damaged."""


class BudgetExceeded(WattprintError):
    """A run passed its energy or carbon budget, and was told to stop (``on_budget="stop"``).

    Attributes:
        budget: the budget as set, e.g. ``2kg``.
        value: what was measured. Units: kWh or kg CO2e, as the budget.
        detail: both in words.
    """

    def __init__(self, budget: str, value: float, detail: str) -> None:
        self.budget = budget
        self.value = value
        self.detail = detail
        super().__init__(budget, value, detail)

    def __str__(self) -> str:
        return f"budget {self.budget} exceeded: {self.detail}"


def choices(values: Iterable[str]) -> str:
    """Return ``one of 'a', 'b'`` for an error message's ``accepted`` part."""
    return "one of " + ", ".join(repr(v) for v in values)


class WattprintWarning(UserWarning):
    """A warning from wattprint: a figure estimated or changed, a setting not taken.

    Issued through :mod:`warnings` when no logging is configured, so that it
    can be filtered like any other Python warning.
    """


class LogBridge(logging.NullHandler):
    """The ``wattprint`` logger's handler: silent once logging is configured.

    While no handler is configured on the ``wattprint`` logger's chain (the
    root logger included), a warning or an error becomes a Python warning of
    category :class:`WattprintWarning` (shown once per message by Python's
    default filters), and a record below WARNING, which only passes when the
    ``log_level`` setting lowered the logger's level, is printed to stderr as
    CodeCarbon prints its own. Once an application configures logging, its
    handlers show the records and this one does nothing. A warnings filter
    set to ``"error"`` prints the warning instead of raising it into the
    tracker (tracking never breaks the program); ``"ignore"`` silences it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def handle(self, record: logging.LogRecord) -> bool:
        """Pass ``record`` on to :mod:`warnings` or stderr when nothing else shows it."""
        if _logging_configured(logging.getLogger(record.name), self):
            return False
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            with self.lock or _NO_LOCK:
                if message in self._seen:
                    return True  # once per message, whatever resets the warnings registry
                self._seen.add(message)
            try:
                warnings.warn(message, WattprintWarning, stacklevel=_outside_levels())
            except Warning:  # a filter made it an error: tracking must go on, so say it
                print(f"WattprintWarning: {message}", file=sys.stderr)
        else:
            print(f"[wattprint {record.levelname}] {message}", file=sys.stderr)
        return True


_NO_LOCK = contextlib.nullcontext()


def _outside_levels() -> int:
    """Return the ``stacklevel`` of the first caller outside wattprint and logging."""
    package = __file__.rsplit("/", 1)[0]
    frame = sys._getframe(2)  # the caller of LogBridge.handle, stacklevel 2
    level = 2
    while frame is not None and frame.f_back is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(package) or name == logging.__file__):
            return level
        frame = frame.f_back
        level += 1
    return level


def _logging_configured(log: logging.Logger, bridge: logging.Handler) -> bool:
    """Tell whether any handler but ``bridge`` and null ones is on ``log``'s chain."""
    current: logging.Logger | None = log
    while current is not None:
        for handler in current.handlers:
            if handler is not bridge and type(handler) is not logging.NullHandler:
                return True
        if not current.propagate:
            return False
        current = current.parent
    return False

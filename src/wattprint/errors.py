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
logger's :class:`~wattprint.log_bridge.LogBridge` also hands each warning to Python's
:mod:`warnings` as a :class:`WattprintWarning`, so it reaches the user once
and can be filtered (``warnings.filterwarnings("ignore", category=WattprintWarning)``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing's: importing typing costs milliseconds
if TYPE_CHECKING:
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

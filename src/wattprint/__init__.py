"""wattprint: what running code costs the planet, and how each number was obtained.

Wrap a block, a function or a command; get its energy (measured from
hardware counters where they exist, estimated with a stated model where they
don't), its carbon emissions, and the methodology behind every figure::

    from wattprint import Tracker

    with Tracker(project="demo", country="FR") as tracker:
        train()
    print(tracker.result.emissions_kg, tracker.result.methodology)

Importing wattprint does no work: no files read, no probes, no network.
"""

from __future__ import annotations

from wattprint._version import __version__
from wattprint.errors import (
    BudgetExceeded,
    ConfigError,
    DataError,
    MissingDependencyError,
    ProviderError,
    SourceUnavailableError,
    WattprintError,
    WattprintWarning,
)

# Not typing.TYPE_CHECKING: importing typing (re, enum, collections ...) would cost
# ``import wattprint`` several milliseconds; type checkers read this name the same way.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from wattprint.grid.intensity import Intensity
    from wattprint.grid.location import Location
    from wattprint.results import ComponentMethod, Host, Methodology, RunResult, TaskResult
    from wattprint.sinks.base import Observer, RunStart, Sink
    from wattprint.sinks.csv_file import CsvSink
    from wattprint.sinks.jsonl import JsonLinesSink
    from wattprint.sinks.logger import LoggerSink
    from wattprint.sinks.prometheus import PrometheusSink
    from wattprint.sinks.webhook import WebhookSink
    from wattprint.tracking.decorator import track
    from wattprint.tracking.tracker import Tracker

# The "wattprint" logger gets its bridge to warnings (WattprintWarning while no
# logging is configured: wattprint.log_bridge) when wattprint first logs
# (wattprint._log): logging is not imported before.

# Public names loaded on first use (PEP 562), so that ``import wattprint``
# costs a few milliseconds and a program that never tracks pays nothing.
_LAZY = {
    "Intensity": "grid.intensity",
    "Location": "grid.location",
    "ComponentMethod": "results",
    "Host": "results",
    "Methodology": "results",
    "RunResult": "results",
    "TaskResult": "results",
    "Tracker": "tracking.tracker",
    "CsvSink": "sinks.csv_file",
    "JsonLinesSink": "sinks.jsonl",
    "LoggerSink": "sinks.logger",
    "PrometheusSink": "sinks.prometheus",
    "WebhookSink": "sinks.webhook",
    "Sink": "sinks.base",
    "Observer": "sinks.base",
    "RunStart": "sinks.base",
    "track": "tracking.decorator",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'wattprint' has no attribute {name!r}")
    import importlib  # here: the package imports nothing it need not

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """Register wattprint's IPython magics (``%load_ext wattprint``)."""
    from wattprint.integrations.ipython import load_ipython_extension as load

    load(ipython)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "BudgetExceeded",
    "ComponentMethod",
    "ConfigError",
    "CsvSink",
    "DataError",
    "Host",
    "Intensity",
    "JsonLinesSink",
    "Location",
    "LoggerSink",
    "Methodology",
    "MissingDependencyError",
    "Observer",
    "PrometheusSink",
    "ProviderError",
    "RunResult",
    "RunStart",
    "Sink",
    "SourceUnavailableError",
    "TaskResult",
    "Tracker",
    "WattprintError",
    "WattprintWarning",
    "WebhookSink",
    "__version__",
    "track",
]

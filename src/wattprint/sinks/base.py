"""The sink protocol: one method to take a finished run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from wattprint.results import RunResult


@runtime_checkable
class Sink(Protocol):
    """Something that takes finished runs (a file, a logger, a service)."""

    name: str

    def write(self, result: RunResult) -> None:
        """Record ``result``; raise ``OSError`` or ``WattprintError`` on failure."""
        ...


def write_all(sinks: Sequence[Sink], result: RunResult) -> list[tuple[str, str]]:
    """Give ``result`` to every sink; return ``(sink name, error)`` for those that failed.

    One failing output never stops the others, and never raises into the caller.
    """
    failed: list[tuple[str, str]] = []
    for sink in sinks:
        try:
            sink.write(result)
        except Exception as err:  # an output must never break the user's program
            failed.append((sink.name, str(err) or type(err).__name__))
    return failed


def observe_all(sinks: Sequence[Sink], interim: RunResult) -> None:
    """Show a running run's figures so far to the sinks that take them (``observe``).

    Prometheus updates its series at each checkpoint this way; a failure is
    left for ``write`` at the end to report.
    """
    for sink in sinks:
        observe = getattr(sink, "observe", None)
        if callable(observe):
            try:
                observe(interim)
            except Exception:  # noqa: S110 - the final write reports the problem
                continue

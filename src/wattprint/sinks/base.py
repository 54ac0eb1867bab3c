"""The sink protocol: one method to take a finished run."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..results import RunResult


@runtime_checkable
class Sink(Protocol):
    """Something that takes finished runs (a file, a logger, a service)."""

    name: str

    def write(self, result: RunResult) -> None:
        """Record ``result``; raise ``OSError`` or ``WattprintError`` on failure."""
        ...

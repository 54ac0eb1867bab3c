"""Tasks: named windows over a run's running totals.

A task, like the run itself, is the difference between the totals at its
start and at its end, so tasks may nest or overlap and nothing is counted
twice. This module keeps the open windows and the finished tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from wattprint.errors import ConfigError
from wattprint.results import TaskResult
from wattprint.tracking.meter import Totals


class Window(NamedTuple):
    """A window that has started: a task, or the run itself (its reading and wall time)."""

    totals: Totals
    started_wall_s: float


Ended = tuple[str, Window, Totals]
"""A finished task whose result was not asked for yet: its name and two readings."""


@dataclass(slots=True)
class Tasks:
    """The open task windows by name, and the finished tasks in order."""

    open_windows: dict[str, Window] = field(default_factory=dict)
    done: list[TaskResult | Ended] = field(default_factory=list)

    def names(self) -> list[str]:
        """Return the names of the open tasks, oldest first."""
        return list(self.open_windows)

    def is_open(self, name: str) -> bool:
        """Tell whether a task called ``name`` is open."""
        return name in self.open_windows

    def check_new(self, name: str) -> None:
        """Check that ``name`` can open a task.

        Raises:
            ConfigError: a task of that name is already open.
        """
        if name in self.open_windows:
            raise ConfigError("task", name, "a name not already in use by an open task")

    def check_open(self, name: str) -> None:
        """Check that a task called ``name`` is open.

        Raises:
            ConfigError: no open task has that name.
        """
        if name not in self.open_windows:
            open_names = ", ".join(repr(n) for n in self.open_windows) or "none"
            raise ConfigError("task", name, f"the name of an open task ({open_names})")

    def open(self, name: str, window: Window) -> None:
        """Open the task ``name`` at ``window``."""
        self.open_windows[name] = window

    def close(self, name: str) -> Window:
        """Close the task ``name`` and return where it started."""
        return self.open_windows.pop(name)

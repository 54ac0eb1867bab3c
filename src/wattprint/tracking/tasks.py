"""Tasks: named windows over a run's running totals.

A task, like the run itself, is the difference between the totals at its
start and at its end, so tasks may nest or overlap and nothing is counted
twice. This module keeps the open windows and the finished tasks.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError
from wattprint.tracking.totals import Totals, hours_between

if TYPE_CHECKING:
    from wattprint.results import TaskResult


class Window(NamedTuple):
    """A window that has started: a task, or the run itself (its reading and wall time)."""

    totals: Totals
    started_wall_s: float


Ended = tuple[str, bytes]
"""A finished task whose result was not asked for yet: its name and its two readings,
reduced to what they measured (see :func:`pack_ended`)."""

_FIGURES = struct.Struct("<10d")
"""When the task started (wall clock), then its totals' nine figures, as 8-byte floats."""
_HOUR = struct.Struct("<2d")


def pack_ended(opened: Window, end: Totals) -> bytes:
    """Return the figures of the task ``opened`` ... ``end``, packed (about 130 bytes).

    A task may run for a long time in a long run: it keeps its energy, times
    and hourly energy between its two readings (their difference, in
    :func:`unpack_ended`), not the readings nor a result, until asked for.
    """
    s = opened.totals  # the figures of difference(end, s), without making its Totals
    return _FIGURES.pack(
        opened.started_wall_s, end.monotonic_s - s.monotonic_s, end.cpu_j - s.cpu_j,
        end.gpu_j - s.gpu_j, end.ram_j - s.ram_j, end.busy_s - s.busy_s,
        end.cpu_total_s - s.cpu_total_s, end.ram_used_byte_s - s.ram_used_byte_s,
        end.ram_machine_byte_s - s.ram_machine_byte_s,
        end.cpu_idle_unattributed_j - s.cpu_idle_unattributed_j,
    ) + b"".join(_HOUR.pack(hour, energy) for hour, energy in hours_between(end, s))  # fmt: skip


def unpack_ended(packed: bytes) -> tuple[float, Totals]:
    """Return when a task packed by :func:`pack_ended` started (epoch s) and what it measured."""
    started, *figures = _FIGURES.unpack_from(packed)
    hours = tuple(
        (int(hour), energy) for hour, energy in _HOUR.iter_unpack(packed[_FIGURES.size :])
    )
    duration, cpu_j, gpu_j, ram_j, busy_s, total_s, ram_byte_s, machine_byte_s, idle_j = figures
    return started, Totals(
        duration, cpu_j, gpu_j, ram_j, busy_s, total_s, ram_byte_s, machine_byte_s,
        hourly_j=hours, cpu_idle_unattributed_j=idle_j,
    )  # fmt: skip


class Tasks:
    """The open task windows by name, and the finished tasks in order."""

    __slots__ = ("open_windows", "done")

    def __init__(self) -> None:
        self.open_windows: dict[str, Window] = {}
        self.done: list[TaskResult | Ended] = []

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

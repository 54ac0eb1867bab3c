"""The tracker's clocks, injectable so that tests drive time without sleeping.

The tracker reads two clocks: a monotonic one for intervals and a wall clock
(UTC epoch seconds) for the hour of each joule. The sampling thread waits
between samples with :meth:`Clock.wait`, which may return early (a sample is
asked for, or the run stops); it then checks the time again.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic and wall time, and a wait measured in this clock's time."""

    def monotonic_s(self) -> float:
        """Return monotonic time. Units: s."""
        ...

    def wall_s(self) -> float:
        """Return wall time, seconds since the epoch (UTC). Units: s."""
        ...

    def wait(self, condition: threading.Condition, timeout_s: float) -> None:
        """Wait on ``condition`` (held by the caller) for at most ``timeout_s``; may end early."""
        ...


class SystemClock:
    """The real clocks: ``time.monotonic``, ``time.time`` and a timed condition wait."""

    def monotonic_s(self) -> float:
        """Return ``time.monotonic()``. Units: s."""
        return time.monotonic()

    def wall_s(self) -> float:
        """Return ``time.time()``. Units: s."""
        return time.time()

    def wait(self, condition: threading.Condition, timeout_s: float) -> None:
        """Wait on ``condition`` for at most ``timeout_s`` seconds."""
        if timeout_s > 0:
            condition.wait(timeout_s)

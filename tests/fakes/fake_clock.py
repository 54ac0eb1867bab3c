"""A clock that moves only when the test says so.

``advance(seconds)`` moves both clocks on and wakes whoever waits on them, so
a tracker's sampling thread takes exactly the samples that the elapsed time
calls for, and a test never sleeps to let time pass.
"""

from __future__ import annotations

import threading


class FakeClock:
    """Monotonic and wall time under the test's control."""

    def __init__(self, *, monotonic_s: float = 1000.0, wall_s: float = 1_714_564_800.0) -> None:
        self._lock = threading.Lock()
        self._monotonic_s = monotonic_s
        self._wall_s = wall_s
        self._waiters: set[threading.Condition] = set()

    def monotonic_s(self) -> float:
        with self._lock:
            return self._monotonic_s

    def wall_s(self) -> float:
        with self._lock:
            return self._wall_s

    def wait(self, condition: threading.Condition, timeout_s: float) -> None:
        """Block until time has moved on by ``timeout_s``, or the condition is notified."""
        if timeout_s <= 0:
            return
        with self._lock:
            deadline = self._monotonic_s + timeout_s
            self._waiters.add(condition)
        try:
            if self.monotonic_s() < deadline:
                condition.wait(5.0)  # a safety net only: advance() or a notify wakes it
        finally:
            with self._lock:
                self._waiters.discard(condition)

    def advance(self, seconds: float) -> None:
        """Move both clocks on by ``seconds`` and wake every waiter."""
        with self._lock:
            self._monotonic_s += seconds
            self._wall_s += seconds
            waiters = list(self._waiters)
        for condition in waiters:
            with condition:
                condition.notify_all()

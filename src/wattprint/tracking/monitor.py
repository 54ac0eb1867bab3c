"""Track the whole machine until stopped, one run (one row) per period.

``wattprint monitor`` is CodeCarbon's ``monitor`` for machines: a tracker in
machine mode whose run is ended and a new one started every ``period_s``
seconds, so long monitoring gives a time series (one emissions.csv row per
period) rather than one row at the very end. Each period's run is journaled
and checkpointed like any run, so a killed monitor loses nothing measured.
A stop request (SIGTERM, Ctrl-C) ends the current period early: its row is
written, marked completed, and the loop returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from wattprint.results import RunResult
from wattprint.tracking.tracker import Tracker

MIN_PERIOD_S = 0.1
MAX_PERIOD_S = 366 * 86400.0


def parse_period(text: str) -> float:
    """Return the seconds of a period written ``90``, ``90s``, ``15m``, ``1h`` or ``1d``.

    Raises:
        ConfigError: not a period, or outside 0.1 s to 366 days.
    """
    from wattprint.advice.durations import parse_duration

    period = parse_duration(text, "period", minimum_s=MIN_PERIOD_S, maximum_s=MAX_PERIOD_S)
    return period.total_seconds()


@dataclass(slots=True)
class Monitor:
    """Run ``tracker`` period after period until :meth:`request_stop`.

    Args:
        tracker: a tracker (machine mode is what ``wattprint monitor`` makes).
        period_s: length of one run. Units: s.
        on_period: called with each finished period's result (the CLI prints it).
        max_periods: stop after this many periods (None: until stopped).
    """

    tracker: Tracker
    period_s: float
    on_period: Callable[[RunResult], None] = lambda result: None
    max_periods: int | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def request_stop(self) -> None:
        """End the current period now and return from :meth:`run` (signal-safe)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    def run(self) -> int:
        """Track period after period; return how many periods were written."""
        done = 0
        while not self._stop.is_set():
            self.tracker.start()
            self._stop.wait(self.period_s)
            result = self.tracker.stop("completed")
            done += 1
            self.on_period(result)
            if self.max_periods is not None and done >= self.max_periods:
                break
        return done

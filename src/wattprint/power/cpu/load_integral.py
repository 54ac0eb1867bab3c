"""Energy of a power curve over the machine's CPU load, integrated read by read.

The model sources (TDP x load curve, a cloud instance's profile) have no
counter: at each read they take the machine's cumulative CPU times, the busy
fraction of the usable CPUs since the last read (an exact average over the
interval), and add the curve's power at that load times the interval. The
tracker's meter reads ``/proc/stat`` once per sample and hands the times to
:attr:`LoadIntegral.machine`, so a sample reads that file once whatever the
number of model sources.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from wattprint.power.cpu.procfs import MachineCpu, MachineCpuTimes


class LoadIntegral:
    """Cumulative energy of ``power_w(load)`` over time, the load from ``machine``.

    Args:
        machine: the machine's CPU times (handed over by the meter when it has them).
        clock: monotonic clock. Units: s.
    """

    __slots__ = ("machine", "_clock", "energy_j", "_last_s", "_last")

    def __init__(self, machine: MachineCpu, clock: Callable[[], float]) -> None:
        self.machine = machine
        self._clock = clock
        self.energy_j = 0.0  # Units: J, cumulative
        self._last_s = 0.0
        self._last: MachineCpuTimes | None = None

    def advance(
        self, usable_cpus: float, power_w: Callable[[float], float], now: float | None = None
    ) -> float:
        """Add the energy since the last call and return the time now (the first call: 0 J).

        Args:
            usable_cpus: the CPUs the load is a fraction of.
            power_w: the power at a load (0..1). Units: W.
            now: the time of the reading, on this integral's clock (default: the
                clock now), for a reading taken earlier and worked out later.

        Returns:
            The clock's time of this reading. Units: s.
        """
        if now is None:
            now = self._clock()
        times = self.machine.times()
        dt = now - self._last_s
        if self._last is not None:
            if dt <= 0:
                # A reading stamped before the last one (two threads' samples taking
                # turns): keep the last point, so the next interval counts this one's
                # CPU time once, over its whole length.
                return now
            busy = max(0.0, times.busy_s - self._last.busy_s)
            utilization = min(1.0, busy / (dt * max(usable_cpus, 1e-9)))
            if math.isfinite(utilization):
                self.energy_j += power_w(utilization) * dt
        self._last_s, self._last = now, times
        return now

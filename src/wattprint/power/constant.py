"""A constant power the user set (``force_cpu_power_w=``, ``force_ram_power_w=``).

Energy is that power times the time elapsed; in process mode the tracker still
charges the tracked tree only its share.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wattprint.power.base import Component, DeviceEnergy, Reading


class ConstantPowerSource:
    """Report a user-set constant power as cumulative energy."""

    method = "constant"
    measured = False

    def __init__(
        self,
        *,
        component: Component,
        power_w: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.component: Component = component
        self.name = f"{component}-constant"
        self.power_w = power_w
        self._clock = clock
        self._start_s = clock()

    @property
    def detail(self) -> str:
        """Describe the user-set figure."""
        return f"user-set constant power of {self.power_w:g} W"

    def read(self) -> Reading:
        """Return power x time elapsed since the source opened. Units: J."""
        return self.read_at(None)

    def read_at(self, now_s: float | None) -> Reading:
        """Return power x time from the source's opening to ``now_s`` (None: now). Units: J."""
        now = self._clock() if now_s is None else now_s
        energy_j = self.power_w * (now - self._start_s)
        return Reading(
            source=self.name,
            component=self.component,
            monotonic_s=now,
            devices=(DeviceEnergy(self.name, energy_j),),
        )

    def close(self) -> None:
        """Nothing to release."""

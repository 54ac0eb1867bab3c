"""The memory power model, used when no DRAM energy counter can be read.

DRAM power is taken to grow linearly with the memory counted:

    P = 0.3725 W/GB x memory (GiB)

0.3725 W per GB is the memory power figure of the Green Algorithms calculator
(Lannelongue, Grealey and Inouye, "Green Algorithms: Quantifying the Carbon
Footprint of Computation", Advanced Science 8, 2021; reference value
``memoryPower`` in its data, CC BY 4.0). Memory is counted in GiB (2^30
bytes), the unit of the memory columns of emissions.csv (CodeCarbon's
``ram_total_size`` and ``ram_used_gb``), so the figures a user reads agree;
Green Algorithms does not say which GB it means. In machine mode the memory counted is
all the installed memory (DRAM is refreshed whether used or not); in process
mode the tracker charges the tracked tree its share of it, by resident memory,
so the figure never exceeds what the whole installed memory would draw.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.units import BYTES_PER_GIB

W_PER_GB = 0.3725
"""Memory power per GB (Green Algorithms reference value). Units: W/GB."""


class RamModelSource:
    """Estimate the energy of the installed memory from its size."""

    name = "ram-model"
    component: Component = "ram"
    method = "gb-x-w-per-gb"
    measured = False

    def __init__(self, *, total_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.total_bytes = total_bytes
        self.power_w = W_PER_GB * total_bytes / BYTES_PER_GIB
        self._clock = clock
        self._start_s = clock()

    @property
    def detail(self) -> str:
        """Describe the model and its inputs."""
        gb = self.total_bytes / BYTES_PER_GIB
        return (
            f"{W_PER_GB} W/GiB x {gb:.1f} GiB installed = {self.power_w:.2f} W "
            "(Green Algorithms memory power figure)"
        )

    def read(self) -> Reading:
        """Return the energy of constant memory power since the source opened."""
        return self.read_at(None)

    def read_at(self, now_s: float | None) -> Reading:
        """Return the energy of constant memory power from its opening to ``now_s`` (None: now)."""
        now = self._clock() if now_s is None else now_s
        return Reading(
            source=self.name,
            component=self.component,
            monotonic_s=now,
            devices=(DeviceEnergy("ram-model", self.power_w * (now - self._start_s)),),
        )

    def close(self) -> None:
        """Nothing to release."""

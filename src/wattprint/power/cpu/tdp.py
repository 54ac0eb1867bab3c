"""The CPU power model: TDP x a load curve, over the CPU time actually used.

Where no energy counter can be read, the CPU's power is estimated from its
thermal design power (TDP, per package, from the shipped table) and its load:

    P(t) = TDP x sockets x (usable CPUs / logical CPUs) x curve(u)

where ``u`` is the busy fraction of the usable CPUs over the interval (from
the machine's cumulative CPU times, so the average over the interval is
exact), and ``curve`` is the fraction of TDP drawn at that load, fitted on
RAPL measurements (see ``power/data/SOURCES.md``). Energy is the integral of
P over time, accumulated by this source at every read. In process mode the
tracker then charges the tracked tree its share of the busy CPU time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from wattprint.power.base import Component, DeviceEnergy, Reading
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.load_integral import LoadIntegral
from wattprint.power.cpu.models import LoadCurve
from wattprint.power.cpu.procfs import MachineCpu


class TdpModelSource:
    """Estimate CPU energy from the matched TDP and the measured CPU load."""

    name = "cpu-tdp-model"
    component: Component = "cpu"
    method = "tdp-x-load"
    measured = False

    def __init__(
        self,
        *,
        hardware: Hardware,
        curve: LoadCurve,
        machine: MachineCpu,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._hardware = hardware
        self._cpu = hardware.cpu
        self._curve = curve
        self._integral = LoadIntegral(machine, clock)
        self.machine = machine  # the meter hands it the CPU times it has just read

    @property
    def max_power_w(self) -> float:
        """Modelled power at full load of the usable CPUs. Units: W."""
        cpu = self._cpu
        tdp_w = self._hardware.cpu_match.tdp_w
        return tdp_w * cpu.sockets * cpu.usable_cpus / cpu.logical_cpus

    @property
    def detail(self) -> str:
        """Describe the matched CPU, the TDP and the curve."""
        scope = f"{self._cpu.sockets} socket(s)"
        if self._cpu.limit:
            scope += f", scaled to {self._cpu.usable_cpus:g} usable CPUs ({self._cpu.limit})"
        lo = self._curve.fraction(0.0)
        return (
            f"{self._hardware.cpu_match.detail}; {scope}; up to {self.max_power_w:.1f} W at "
            f"full load, {lo * 100:.0f} % of that when idle (load curve fitted on RAPL "
            "measurements)"
        )

    @property
    def idle_power_w(self) -> float:
        """Modelled power with the usable CPUs idle (the idle part of attribution). Units: W."""
        return self.power_w(0.0)

    @property
    def scope_cpus(self) -> float:
        """How many CPUs the modelled power covers: the usable ones (affinity, quota)."""
        return self._cpu.usable_cpus

    def power_w(self, utilization: float) -> float:
        """Return the modelled power at ``utilization`` (0..1 of usable CPUs). Units: W."""
        return self.max_power_w * self._curve.fraction(utilization)

    def read(self) -> Reading:
        """Integrate the model up to now and return the cumulative energy.

        The first read only takes the starting point (energy 0).
        """
        return self.read_at(None)

    def read_at(self, now_s: float | None) -> Reading:
        """Integrate the model up to ``now_s`` (on its clock; None: now).

        The CPU times handed to :attr:`machine` are those of that moment
        (see :class:`~wattprint.power.base.ReadAt`).
        """
        integral = self._integral
        now = integral.advance(self._cpu.usable_cpus, self.power_w, now_s)
        return Reading(
            source=self.name,
            component=self.component,
            monotonic_s=now,
            devices=(DeviceEnergy("cpu-model", integral.energy_j),),
        )

    def close(self) -> None:
        """Nothing to release."""

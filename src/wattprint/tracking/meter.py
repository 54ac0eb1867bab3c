"""Read the power sources and attribute their energy to the tracked run.

The meter keeps running totals (``Totals``): cumulative joules per component
already attributed to the run, plus the CPU and memory figures needed for
utilisation columns. A task, or the run itself, is the difference between two
totals, so overlapping tasks never count anything twice.

Attribution in process mode, per interval between two samples:

* CPU (and SoC): machine energy x (tree CPU time / machine busy CPU time),
  the share of the busy CPU time spent by the tracked process tree;
* RAM: machine memory energy x (tree resident memory / installed memory),
  the mean of the interval's two ends, at most 1;
* GPU: per device, the tree's share from the vendor's per-process data
  (utilisation samples, else memory of the running processes); in full
  when the source cannot tell.

In machine mode every share is 1.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from wattprint.errors import SourceUnavailableError
from wattprint.power.base import Component, PerProcessShares, PowerSource
from wattprint.power.cpu.info import read_ram_used_bytes
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.power.discovery import Discovery
from wattprint.tracking.process_tree import ProcessTree, TreeSample

logger = logging.getLogger("wattprint")


@dataclass(frozen=True, slots=True)
class Totals:
    """Cumulative figures of a run at one sample.

    Attributes:
        monotonic_s: when the sample was taken. Units: s (monotonic clock).
        cpu_j: CPU energy attributed so far. Units: J, cumulative.
        gpu_j: GPU energy attributed so far. Units: J, cumulative.
        ram_j: memory energy attributed so far. Units: J, cumulative.
        busy_s: machine busy CPU time so far. Units: s, cumulative.
        cpu_total_s: machine CPU time (busy + idle) so far. Units: s, cumulative.
        ram_used_byte_s: memory charged, integrated over time. Units: byte x s.
        ram_machine_byte_s: machine memory in use, integrated. Units: byte x s.
        hourly_j: attributed IT energy per UTC hour, as ``(hour start in epoch
            seconds, energy)`` pairs in time order. Units: J, cumulative.
    """

    monotonic_s: float
    cpu_j: float = 0.0
    gpu_j: float = 0.0
    ram_j: float = 0.0
    busy_s: float = 0.0
    cpu_total_s: float = 0.0
    ram_used_byte_s: float = 0.0
    ram_machine_byte_s: float = 0.0
    hourly_j: tuple[tuple[int, float], ...] = ()


def split_by_hour(start_s: float, end_s: float, energy_j: float) -> dict[int, float]:
    """Spread ``energy_j`` evenly over [start_s, end_s] and cut it at UTC hours.

    Returns the energy per hour, keyed by the hour's start in epoch seconds.
    """
    if end_s <= start_s:
        return {int(end_s // 3600) * 3600: energy_j}
    parts: dict[int, float] = {}
    t = start_s
    while t < end_s:
        hour = int(t // 3600) * 3600
        upto = min(end_s, hour + 3600)
        parts[hour] = parts.get(hour, 0.0) + energy_j * (upto - t) / (end_s - start_s)
        t = upto
    return parts


def _add_hours(
    hourly: tuple[tuple[int, float], ...], parts: dict[int, float]
) -> tuple[tuple[int, float], ...]:
    merged = dict(hourly)
    for hour, energy in parts.items():
        merged[hour] = merged.get(hour, 0.0) + energy
    return tuple(sorted(merged.items()))


MAX_POINTS = 240
"""Points of the power series kept for reports (more are averaged pairwise)."""


def _share(part: float, whole: float) -> float:
    if whole <= 0:
        return 1.0 if part > 0 else 0.0
    return min(1.0, max(0.0, part / whole))


class Meter:
    """Sample the sources and keep the run's attributed totals.

    Args:
        discovery: the sources chosen for this machine.
        tree: the tracked process tree, or None in machine mode.
        procfs_root: where procfs is mounted.
    """

    def __init__(
        self,
        discovery: Discovery,
        *,
        tree: ProcessTree | None,
        procfs_root: Path = Path("/proc"),
        clock_s: float,
        wall_s: float,
        defer_baseline: bool = False,
    ) -> None:
        self.discovery = discovery
        self.tree = tree
        self._procfs_root = procfs_root
        self._machine = MachineCpu(procfs_root=procfs_root)
        self._lock = threading.Lock()
        self._failed: dict[str, str] = {}
        self._abandoned: set[str] = set()
        self._recovered: set[str] = set()
        self._ram_total = discovery.hardware.ram_total_bytes
        self._last_energy: dict[str, dict[str, float]] = {}
        self.gpu_rules: dict[str, str] = {}
        self.reading_now: str | None = None  # the source being read, for a stuck read
        self.reading_since_s = 0.0  # when that read began (real monotonic time). Units: s
        self.newest_generation = 0  # the newest sampling thread; older ones' readings are dropped
        self.totals = Totals(monotonic_s=clock_s)
        self._start_s = clock_s
        self._last_wall_s = wall_s
        self.series: list[tuple[float, float, float, float]] = []
        self._has_baseline = False
        if not defer_baseline:
            self._baseline(clock_s, wall_s)

    def _baseline(self, now_s: float, wall_s: float) -> None:
        """Take the first reading of everything: the run counts from here."""
        for source in self.discovery.chosen:
            self.reading_since_s = time.monotonic()
            self.reading_now = source.name
            self._last_energy[source.name] = self._read(source, {})
        self.reading_now = None
        self._last_cpu = self._machine.times()
        self._last_tree: TreeSample | None = self.tree.start() if self.tree else None
        self._last_ram_used = self._ram_charged(self._last_tree)
        self._last_ram_machine = float(read_ram_used_bytes(self._procfs_root))
        self.totals = Totals(monotonic_s=now_s)
        self._start_s = now_s
        self._last_wall_s = wall_s
        self._has_baseline = True

    def fail(self, source_name: str, reason: str) -> None:
        """Stop reading ``source_name`` for the rest of the run, noting ``reason``."""
        self._abandoned.add(source_name)
        if source_name not in self._failed:
            self._failed[source_name] = reason
            logger.warning("wattprint: %s %s", source_name, reason)

    @property
    def failures(self) -> dict[str, str]:
        """Sources that failed during the run, with the reason."""
        return dict(self._failed)

    @property
    def recovered(self) -> frozenset[str]:
        """Failed sources that read again later: their cumulative reading counted the gap."""
        return frozenset(self._recovered)

    def _read(self, source: PowerSource, fallback: dict[str, float]) -> dict[str, float]:
        try:
            energy = {d.device: d.energy_j for d in source.read().devices}
            if source.name in self._failed:
                self._recovered.add(source.name)
            return energy
        except SourceUnavailableError as err:
            reason = err.reason
        except Exception as err:  # a sensor must never break the user's program
            reason = f"{type(err).__name__}: {err}"
        if source.name not in self._failed:
            self._failed[source.name] = reason
            logger.warning(
                "wattprint: reading %s failed (%s); its energy is not counted until it "
                "reads again, and the result notes the gap",
                source.name,
                reason,
            )
        return fallback

    def _ram_charged(self, tree: TreeSample | None) -> float:
        if tree is None:
            return float(self._ram_total)
        return float(min(tree.rss_bytes, self._ram_total))

    def sample(self, now_s: float, wall_s: float, generation: int | None = None) -> Totals | None:
        """Read every source now, attribute the energy since the last sample.

        Args:
            now_s: the monotonic clock now. Units: s.
            wall_s: the wall clock now (epoch). Units: s.
            generation: the sampling thread's generation; a reading taken by a
                thread that was abandoned meanwhile is thrown away (None: no check).

        Returns:
            The run's totals, or None when the reading was thrown away.
        """
        if not self._has_baseline:  # only the sampling thread gets here, once
            self._baseline(now_s, wall_s)
            return self.totals
        energies = self._read_sources()
        with self._lock:
            if generation is not None and generation < self.newest_generation:
                return None
            if generation is not None:
                self.newest_generation = generation
            return self._sample(now_s, wall_s, energies)

    def _gpu_shares(self, source: PowerSource) -> dict[str, float] | None:
        """Per-device shares of the tracked tree, for a GPU source that can tell them."""
        if self.tree is None or not isinstance(source, PerProcessShares):
            return None
        try:
            shares = source.process_shares(self.tree.pids())
        except SourceUnavailableError as err:
            self._failed.setdefault(f"{source.name} shares", err.reason)
            return None
        for device in shares.devices:
            self.gpu_rules[device.device] = device.rule
        return {d.device: d.share for d in shares.devices}

    def _read_sources(self) -> list[tuple[PowerSource, dict[str, float], dict[str, float] | None]]:
        """Read every source still in use: (source, energy per device, GPU shares or None)."""
        readings = []
        for source in self.discovery.chosen:
            if source.name in self._abandoned:
                continue
            self.reading_since_s = time.monotonic()
            self.reading_now = source.name
            energy = self._read(source, self._last_energy.get(source.name, {}))
            shares = self._gpu_shares(source) if source.component == "gpu" else None
            readings.append((source, energy, shares))
        self.reading_now = None
        return readings

    def _sample(
        self,
        now_s: float,
        wall_s: float,
        readings: list[tuple[PowerSource, dict[str, float], dict[str, float] | None]],
    ) -> Totals:
        deltas: dict[Component, float] = {}
        for source, energy, shares in readings:
            last = self._last_energy.get(source.name, {})
            delta = sum(
                max(0.0, e - last.get(d, e)) * (shares.get(d, 1.0) if shares else 1.0)
                for d, e in energy.items()
            )
            deltas[source.component] = deltas.get(source.component, 0.0) + delta
            self._last_energy[source.name] = energy
        cpu = self._machine.times()
        busy = max(0.0, cpu.busy_s - self._last_cpu.busy_s)
        total = max(0.0, cpu.total_s - self._last_cpu.total_s)
        self._last_cpu = cpu
        dt = max(0.0, now_s - self.totals.monotonic_s)
        ram_machine = float(read_ram_used_bytes(self._procfs_root))
        if self.tree is not None and self._last_tree is not None:
            tree = self.tree.sample()
            cpu_share = _share(tree.cpu_s - self._last_tree.cpu_s, busy)
            self._last_tree = tree
        else:
            tree, cpu_share = None, 1.0
        ram_used = self._ram_charged(tree)
        ram_mean = (ram_used + self._last_ram_used) / 2
        ram_share = _share(ram_mean, self._ram_total) if tree is not None else 1.0
        t = self.totals
        cpu_j = (deltas.get("cpu", 0.0) + deltas.get("soc", 0.0)) * cpu_share
        gpu_j = deltas.get("gpu", 0.0)
        ram_j = deltas.get("ram", 0.0) * ram_share
        hours = split_by_hour(self._last_wall_s, wall_s, cpu_j + gpu_j + ram_j)
        if dt > 0:
            self._add_point(now_s - self._start_s, dt, cpu_j, gpu_j, ram_j)
        self._last_wall_s = max(wall_s, self._last_wall_s)
        self.totals = replace(
            t,
            monotonic_s=max(now_s, t.monotonic_s),
            cpu_j=t.cpu_j + cpu_j,
            gpu_j=t.gpu_j + gpu_j,
            ram_j=t.ram_j + ram_j,
            hourly_j=_add_hours(t.hourly_j, hours),
            busy_s=t.busy_s + busy,
            cpu_total_s=t.cpu_total_s + total,
            ram_used_byte_s=t.ram_used_byte_s + ram_mean * dt,
            ram_machine_byte_s=t.ram_machine_byte_s
            + (ram_machine + self._last_ram_machine) / 2 * dt,
        )
        self._last_ram_used = ram_used
        self._last_ram_machine = ram_machine
        return self.totals

    def _add_point(self, elapsed_s: float, dt: float, *energy_j: float) -> None:
        """Keep the interval's mean powers; past MAX_POINTS, halve the resolution."""
        self.series.append((elapsed_s, *(e / dt for e in energy_j)))  # type: ignore[arg-type]
        if len(self.series) >= 2 * MAX_POINTS:
            pairs = zip(self.series[::2], self.series[1::2], strict=False)
            self.series = [
                (b[0], (a[1] + b[1]) / 2, (a[2] + b[2]) / 2, (a[3] + b[3]) / 2) for a, b in pairs
            ]

    def close(self) -> None:
        """Close the sources."""
        self.discovery.close()


def difference(end: Totals, start: Totals) -> Totals:
    """Return the figures accumulated between two samples (``end - start``)."""
    before = dict(start.hourly_j)
    return Totals(
        monotonic_s=end.monotonic_s - start.monotonic_s,
        cpu_j=end.cpu_j - start.cpu_j,
        gpu_j=end.gpu_j - start.gpu_j,
        ram_j=end.ram_j - start.ram_j,
        busy_s=end.busy_s - start.busy_s,
        cpu_total_s=end.cpu_total_s - start.cpu_total_s,
        ram_used_byte_s=end.ram_used_byte_s - start.ram_used_byte_s,
        ram_machine_byte_s=end.ram_machine_byte_s - start.ram_machine_byte_s,
        hourly_j=tuple(
            (hour, energy - before.get(hour, 0.0))
            for hour, energy in end.hourly_j
            if energy > before.get(hour, 0.0)
        ),
    )

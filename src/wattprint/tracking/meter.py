"""Read the power sources and attribute their energy to the tracked run.

The meter keeps running totals (``Totals``): cumulative joules per component
already attributed to the run, plus the CPU and memory figures needed for
utilisation columns. A task, or the run itself, is the difference between two
totals, so overlapping tasks never count anything twice.

Attribution in process mode, per interval between two samples:

* CPU (and SoC): the dynamic part of the power by the tree's share of the busy
  CPU time, the idle part by the share of the CPU capacity it occupies (the
  rule is in :mod:`wattprint.tracking.attribution`);
* RAM: machine memory energy x (tree resident memory / installed memory),
  the mean of the interval's two ends, at most 1;
* GPU: per device, the tree's share from the vendor's per-process data
  (utilisation samples, else memory of the running processes); in full
  when the source cannot tell.

In machine mode every share is 1.

A sample is on the sampling thread's hot path: ``/proc/stat`` and
``/proc/meminfo`` are opened once and re-read with ``pread``, ``/proc/stat``
is read once per sample and handed to a model source that needs it, and the
hourly totals are updated in place (a sample costs the same in the 720th hour
of a run as in the first).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from wattprint.power.base import Component, PowerSource, ReadAt
from wattprint.power.cpu.procfs import (
    MachineCpu,
    MachineCpuTimes,
    MemInfo,
    ProcFile,
    ProcfsReader,
    make_reader,
)
from wattprint.power.discovery import Discovery
from wattprint.tracking.attribution import CpuSplit, describe_rule
from wattprint.tracking.cgroup import CgroupTree
from wattprint.tracking.gathering import Gathering
from wattprint.tracking.process_tree import ProcessTree, TreeSample
from wattprint.tracking.source_reads import NEVER_BLOCK, SourceReads
from wattprint.tracking.totals import Totals, add_point, difference, split_by_hour

RAM_MACHINE_EVERY_S = 5.0
"""Least time between two reads of the machine's memory in use (``/proc/meminfo``). Units: s."""

REREAD_S = 0.001
"""Least time between two reads of the CPU times by a caller's sample (a task's start or
end, ``flush()``). ``/proc/stat`` and a process's CPU times count clock ticks (10 ms):
read again within a millisecond they have moved by at most one tick, which the next
read counts, as it counts the ticks of any interval too short to show them. Back-to-back
tasks then read them once per millisecond, not at each boundary. Units: s."""


def _share(part: float, whole: float) -> float:
    if whole <= 0:
        return 1.0 if part > 0 else 0.0
    return min(1.0, max(0.0, part / whole))


class Meter(Gathering):
    """Sample the sources and keep the run's attributed totals.

    Args:
        discovery: the sources chosen for this machine.
        tree: the tracked process tree (or cgroup), or None in machine mode.
        procfs_root: where procfs is mounted.
        cpus: the CPUs the tracked processes may use (default: the tree
            root's affinity mask, else this process's).
    """

    def __init__(
        self,
        discovery: Discovery,
        *,
        tree: ProcessTree | CgroupTree | None,
        procfs_root: Path = Path("/proc"),
        clock_s: float,
        wall_s: float,
        defer_baseline: bool = False,
        cpus: frozenset[int] | None = None,
    ) -> None:
        self.discovery = discovery
        self.tree = tree
        self._procfs_root = procfs_root
        self._reader = make_reader(procfs_root)
        self._meminfo = MemInfo(procfs_root)
        self._ram_machine_at_s = float("-inf")  # when /proc/meminfo was last read
        self._times_at_s = float("-inf")  # when a caller's sample last read the CPU times
        self._handed: MachineCpuTimes | None = None  # the allowed CPUs' times, as last read
        machines = (getattr(source, "machine", None) for source in discovery.chosen)
        self._machines = tuple(m for m in machines if isinstance(m, MachineCpu))
        self._lock = threading.Lock()
        self.reads = SourceReads(discovery.chosen, tree.pids if tree is not None else None)
        self._ram_total = discovery.hardware.ram_total_bytes
        self._cpus = cpus
        self._allowed: frozenset[int] | None = None  # None: every CPU
        self._splits: dict[str, CpuSplit] = {}
        self.newest_generation = 0  # the newest sampling thread; older ones' readings are dropped
        self.totals = Totals(monotonic_s=clock_s)
        self._start_s = clock_s
        self._last_wall_s = wall_s
        self.series: list[tuple[float, float, float, float]] = []
        self._has_baseline = False
        self._whole = threading.Lock()
        self.inline_safe = all(s.method in NEVER_BLOCK for s in discovery.chosen)
        # Where every source is a model read for a given moment (a VM, a container:
        # no counter to read), the sampling thread takes a sample's raw figures and
        # works BATCH of them out at once, while its caches are warm.
        self.batches = (
            self.inline_safe
            and isinstance(self._reader, ProcfsReader)
            and all(isinstance(s, ReadAt) for s in discovery.chosen)
        )
        self._pending: list[tuple[float, float, bytes, TreeSample | None, int | None]] = []
        reader = self._reader
        self._read_stat = reader.machine_file.read if isinstance(reader, ProcfsReader) else bytes
        if not defer_baseline:
            self._baseline(clock_s, wall_s)

    @property
    def has_baseline(self) -> bool:
        """True once the first reading was taken (by the sampling thread)."""
        return self._has_baseline

    @property
    def cpu_rule(self) -> str:
        """The CPU attribution rule and how the tree was read, for the methodology."""
        if self.tree is None:
            return "whole machine, idle power included"
        rule = describe_rule(self.discovery.source_for("cpu") or self.discovery.source_for("soc"))
        method = getattr(self.tree, "method", "")
        return f"{rule}; the tree read through {method}" if method else rule

    @property
    def stat_file(self) -> ProcFile | None:
        """``/proc/stat``, kept open where procfs is (raw ticks read it: :mod:`.ticks`)."""
        reader = self._reader
        return reader.machine_file if isinstance(reader, ProcfsReader) else None

    def _machine_times(self, raw: bytes | None = None) -> tuple[float, float, float]:
        """Read ``/proc/stat`` once (or parse ``raw``, read earlier).

        Returns (machine busy, machine total, busy of allowed CPUs); the model
        sources are handed the times of the allowed CPUs.
        """
        reader = self._reader
        if isinstance(reader, ProcfsReader):
            if raw is None:
                raw = reader.machine_raw()
            whole = reader.parse(raw)
            allowed = reader.parse(raw, self._allowed) if self._allowed is not None else whole
        else:
            whole = reader.machine()
            allowed = reader.machine(self._allowed) if self._allowed is not None else whole
        self._hand(allowed)
        return whole.busy_s, whole.total_s, allowed.busy_s

    def _hand(self, allowed: MachineCpuTimes) -> None:
        """Hand the model sources the allowed CPUs' times (they read no ``/proc/stat``)."""
        self._handed = allowed
        for machine in self._machines:
            machine.hand(allowed)

    def _baseline(self, now_s: float, wall_s: float) -> None:
        """Take the first reading of everything: the run counts from here."""
        cpus = self._cpus
        if cpus is None and hasattr(os, "sched_getaffinity"):
            root = getattr(self.tree, "root_pid", 0)
            try:
                cpus = frozenset(os.sched_getaffinity(root))
            except OSError:
                cpus = None
        logical = self.discovery.hardware.cpu.logical_cpus
        if cpus is not None and len(cpus) < logical:
            self._allowed = cpus
        self._last_cpu = self._machine_times()
        self._times_at_s = now_s
        self.reads.baseline()
        self._last_tree: TreeSample | None = self.tree.start() if self.tree else None
        self._last_ram_used = self._ram_charged(self._last_tree)
        self._last_ram_machine = self._meminfo.used_bytes()
        self._ram_machine_at_s = now_s
        self.totals = Totals(monotonic_s=now_s)
        self._start_s = now_s
        self._last_wall_s = wall_s
        self._has_baseline = True

    def fail(self, source_name: str, reason: str) -> None:
        """Stop reading ``source_name`` for the rest of the run, noting ``reason``."""
        self.reads.fail(source_name, reason)

    @property
    def failures(self) -> dict[str, str]:
        """Sources that failed during the run, with the reason."""
        return dict(self.reads.failed)

    @property
    def recovered(self) -> frozenset[str]:
        """Failed sources that read again later: their cumulative reading counted the gap."""
        return frozenset(self.reads.recovered)

    @property
    def gpu_rules(self) -> dict[str, str]:
        """How each GPU's share of the tree was found, by device."""
        return self.reads.gpu_rules

    @property
    def reading_now(self) -> str | None:
        """The source being read now, where a read can hang (for the sampler)."""
        return self.reads.reading_now

    @property
    def reading_since_s(self) -> float:
        """When that read began (real monotonic time). Units: s."""
        return self.reads.reading_since_s

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
        if not self.inline_safe:
            return self._sample_once(now_s, wall_s, generation)
        with self._whole:  # no read can hang: samples from two threads take turns
            return self._sample_once(now_s, wall_s, generation)

    def _work_out_pending(self) -> None:
        """Work out the gathered samples, in order (the caller holds ``_whole``)."""
        pending, self._pending = self._pending, []
        for now_s, wall_s, stat, tree, generation in pending:
            if generation is not None and generation < self.newest_generation:
                continue
            cpu = self._machine_times(stat)
            readings = self.reads.read_all(now_s)
            with self._lock:
                self._sample(now_s, wall_s, cpu, readings, tree)

    def _sample_once(self, now_s: float, wall_s: float, generation: int | None) -> Totals | None:
        if not self._has_baseline:  # only the sampling thread gets here, once
            self._baseline(now_s, wall_s)
            return self.totals
        if self._pending:
            self._work_out_pending()
        tree: TreeSample | None = None
        if 0.0 <= now_s - self._times_at_s < REREAD_S and self._handed is not None:
            cpu, tree = self._last_cpu, self._last_tree  # see REREAD_S
            self._hand(self._handed)
        else:
            cpu = self._machine_times()
            self._times_at_s = now_s
        energies = self.reads.read_all()
        with self._lock:
            if generation is not None and generation < self.newest_generation:
                return None
            if generation is not None:
                self.newest_generation = generation
            return self._sample(now_s, wall_s, cpu, energies, tree)

    def _split(self, source: PowerSource) -> CpuSplit:
        split = self._splits.get(source.name)
        if split is None:
            cpu = self.discovery.hardware.cpu
            split = self._splits[source.name] = CpuSplit(
                source, machine_cpus=cpu.logical_cpus, usable_cpus=cpu.usable_cpus
            )
        return split

    def _sample(
        self,
        now_s: float,
        wall_s: float,
        cpu: tuple[float, float, float],
        readings: list[tuple[PowerSource, dict[str, float], dict[str, float] | None]],
        tree_read: TreeSample | None = None,
    ) -> Totals:
        t = self.totals
        dt = now_s - t.monotonic_s
        dt = dt if dt > 0.0 else 0.0
        last_cpu = self._last_cpu
        busy = cpu[0] - last_cpu[0]
        busy = busy if busy > 0.0 else 0.0
        total = cpu[1] - last_cpu[1]
        total = total if total > 0.0 else 0.0
        busy_allowed = cpu[2] - last_cpu[2]
        busy_allowed = busy_allowed if busy_allowed > 0.0 else 0.0
        self._last_cpu = cpu
        ram_machine = self._ram_machine(now_s)
        tree: TreeSample | None = None
        tree_s = 0.0
        if self.tree is not None and self._last_tree is not None:
            tree = tree_read if tree_read is not None else self.tree.sample()
            tree_s = tree.cpu_s - self._last_tree.cpu_s
            tree_s = tree_s if tree_s > 0.0 else 0.0
            self._last_tree = tree
        cpu_j = gpu_j = ram_j = unattributed_j = 0.0
        for source, energy, shares in readings:
            last = self.reads.last_energy.get(source.name, {})
            delta = 0.0
            for d, e in energy.items():
                step = e - last.get(d, e)
                if step > 0:
                    delta += step * (shares.get(d, 1.0) if shares else 1.0)
            self.reads.last_energy[source.name] = energy
            component: Component = source.component
            if component == "gpu":
                gpu_j += delta
            elif component == "ram":
                ram_j += delta
            elif tree is None:
                cpu_j += delta
            else:
                charged, left = self._split(source).charge(
                    delta, dt, tree_s, busy_machine_s=busy, busy_allowed_s=busy_allowed
                )
                cpu_j += charged
                unattributed_j += left
        ram_used = self._ram_charged(tree)
        ram_mean = (ram_used + self._last_ram_used) / 2
        if tree is not None:
            ram_j *= _share(ram_mean, self._ram_total)
        closed, hour, hour_j = t.with_hours(
            split_by_hour(self._last_wall_s, wall_s, cpu_j + gpu_j + ram_j)
        )
        if dt > 0:
            self.series = add_point(self.series, now_s - self._start_s, dt, cpu_j, gpu_j, ram_j)
        self._last_wall_s = max(wall_s, self._last_wall_s)
        new = Totals(
            max(now_s, t.monotonic_s),
            t.cpu_j + cpu_j,
            t.gpu_j + gpu_j,
            t.ram_j + ram_j,
            t.busy_s + busy,
            t.cpu_total_s + total,
            t.ram_used_byte_s + ram_mean * dt,
            t.ram_machine_byte_s + (ram_machine + self._last_ram_machine) / 2 * dt,
            cpu_idle_unattributed_j=t.cpu_idle_unattributed_j + unattributed_j,
        )
        new._closed, new._hour, new._hour_j = closed, hour, hour_j
        self.totals = new
        self._last_ram_used = ram_used
        self._last_ram_machine = ram_machine
        return new

    def _ram_machine(self, now_s: float) -> float:
        """Return the machine's memory in use, read at most every RAM_MACHINE_EVERY_S.

        It only feeds the mean memory use figure (never an energy), and
        ``/proc/meminfo`` costs the kernel as much as ``/proc/stat``: task
        boundaries and 1 s samples in between reuse the last value. Units: bytes.
        """
        if now_s - self._ram_machine_at_s < RAM_MACHINE_EVERY_S:
            return self._last_ram_machine
        self._ram_machine_at_s = now_s
        return self._meminfo.used_bytes()

    def close(self) -> None:
        """Close the sources (and the files of the tree)."""
        close = getattr(self.tree, "close", None)
        if close is not None:
            close()
        self.discovery.close()


__all__ = ["Meter", "Totals", "difference", "split_by_hour"]

"""Cumulative CPU time of the machine and of single processes, from procfs.

The readers here are the hardware side of process attribution: the machine's
busy and total CPU time (``/proc/stat``), and one process's CPU ticks, start
time, parent and resident memory (``/proc/PID/stat``). On Linux everything is
read from procfs (``procfs_root``, injectable for tests); elsewhere psutil
gives the same figures. Following a process tree is done by
:mod:`wattprint.tracking.process_tree` on top of these readers.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class MachineCpuTimes:
    """Cumulative CPU time of the whole machine, summed over its CPUs.

    Attributes:
        busy_s: time not idle (user, nice, system, irq, softirq). Units: s.
        total_s: busy plus idle and iowait; steal is left out. Units: s.
    """

    busy_s: float
    total_s: float


@dataclass(frozen=True, slots=True)
class ProcStat:
    """One process's figures from ``/proc/PID/stat``: parent, start, CPU ticks, RSS."""

    ppid: int
    start_ticks: int
    cpu_ticks: int  # utime + stime + cutime + cstime
    rss_bytes: int


class ProcfsReader:
    """Read process and machine figures from a Linux procfs tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ticks_per_s = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0
        self.page_bytes = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

    def stat(self, pid: int) -> ProcStat | None:
        """Return the process's figures, or None if it is gone or unreadable."""
        try:
            with open(self.root / str(pid) / "stat", "rb") as f:
                raw = f.read()
        except OSError:
            return None
        # The command name is in parentheses and may hold spaces or ')'.
        fields = raw[raw.rfind(b")") + 2 :].split()
        try:
            return ProcStat(
                ppid=int(fields[1]),
                start_ticks=int(fields[19]),
                cpu_ticks=int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]),
                rss_bytes=int(fields[21]) * self.page_bytes,
            )
        except (IndexError, ValueError):
            return None

    def pids(self) -> set[int]:
        """Return the ids of every process now."""
        try:
            return {int(name) for name in os.listdir(self.root) if name.isdigit()}
        except OSError:
            return set()

    def now_ticks(self) -> int:
        """Return the time since boot, in clock ticks (the unit of ``start_ticks``)."""
        with open(self.root / "uptime", "rb") as f:
            return int(float(f.read().split()[0]) * self.ticks_per_s)

    def machine(self) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now."""
        with open(self.root / "stat", "rb") as f:
            first = f.readline().split()
        user, nice, system, idle, iowait, irq, softirq = (int(x) for x in first[1:8])
        busy = user + nice + system + irq + softirq
        return MachineCpuTimes(
            busy_s=busy / self.ticks_per_s,
            total_s=(busy + idle + iowait) / self.ticks_per_s,
        )


class PsutilReader:
    """The same figures through psutil, for systems without procfs."""

    ticks_per_s = 1000.0

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil

    def stat(self, pid: int) -> ProcStat | None:
        """Return the process's figures, or None if it is gone or unreadable."""
        ps = self._psutil
        try:
            p = ps.Process(pid)
            with p.oneshot():
                t = p.cpu_times()
                cpu = t.user + t.system + t.children_user + t.children_system
                return ProcStat(
                    ppid=p.ppid(),
                    start_ticks=int(p.create_time() * self.ticks_per_s),
                    cpu_ticks=int(cpu * self.ticks_per_s),
                    rss_bytes=int(p.memory_info().rss),
                )
        except (ps.Error, OSError):
            return None

    def pids(self) -> set[int]:
        """Return the ids of every process now."""
        return set(self._psutil.pids())

    def now_ticks(self) -> int:
        """Return the time since boot, in clock ticks."""
        return int(time.time() * self.ticks_per_s)

    def machine(self) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now."""
        t = self._psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        busy = sum(t) - idle - getattr(t, "steal", 0.0) - getattr(t, "guest", 0.0)
        busy -= getattr(t, "guest_nice", 0.0)
        return MachineCpuTimes(busy_s=busy, total_s=busy + idle)


def make_reader(procfs_root: Path | None = None) -> ProcfsReader | PsutilReader:
    """Return the procfs reader on Linux (or for an explicit root), else psutil's."""
    if procfs_root is not None:
        return ProcfsReader(procfs_root)
    if sys.platform.startswith("linux") and Path("/proc/stat").exists():
        return ProcfsReader(Path("/proc"))
    return PsutilReader()


class MachineCpu:
    """Cumulative busy and total CPU time of the machine."""

    def __init__(self, *, procfs_root: Path | None = None) -> None:
        self._reader = make_reader(procfs_root)

    def times(self) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now."""
        return self._reader.machine()

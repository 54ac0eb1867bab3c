"""Cumulative CPU time of the machine and of single processes, from procfs.

The readers here are the hardware side of process attribution: the machine's
busy and total CPU time (``/proc/stat``, all CPUs or the set a process may
use), and one process's CPU ticks, start time, parent and resident memory
(``/proc/PID/stat``). On Linux everything is read from procfs
(``procfs_root``, injectable for tests); elsewhere psutil gives the same
figures. Following a process tree is done by
:mod:`wattprint.tracking.process_tree` on top of these readers.

These reads are on the sampling thread's hot path, so on the real procfs each
file is opened once and re-read with ``os.pread`` (a process's ``stat`` file
opened once also stops answering when that process ends, so a reused PID is
never mistaken for it), and results are plain tuples. A folder written by a
test is re-opened at each read, as files there may be replaced.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Collection
from pathlib import Path

from wattprint._record import NamedTuple


class MachineCpuTimes(NamedTuple):
    """Cumulative CPU time of the whole machine (or a set of its CPUs).

    Attributes:
        busy_s: time not idle (user, nice, system, irq, softirq). Units: s.
        total_s: busy plus idle and iowait; steal is left out. Units: s.
    """

    busy_s: float
    total_s: float


class ProcStat(NamedTuple):
    """One process's figures from ``/proc/PID/stat``: parent, start, CPU ticks, RSS."""

    ppid: int
    start_ticks: int
    cpu_ticks: int  # utime + stime + cutime + cstime
    rss_bytes: int


class ProcFile:
    """One procfs or sysfs file, opened once and re-read with ``os.pread``.

    Args:
        path: the file.
        keep_open: keep the descriptor between reads (real procfs and sysfs);
            False re-opens the file at each read.
    """

    __slots__ = ("path", "_fd", "_keep", "_size")

    def __init__(self, path: str, *, keep_open: bool = True) -> None:
        self.path = path
        self._fd = -1
        self._keep = keep_open
        self._size = 1024  # grows to hold the whole file

    def read(self) -> bytes:
        """Return the file's whole content now.

        Raises:
            OSError: the file cannot be read (a process's file once it ended).
        """
        fd = self._fd
        if fd < 0:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            if not self._keep:
                try:
                    return self._whole(fd)
                finally:
                    os.close(fd)
            self._fd = fd
        raw = os.pread(fd, self._size, 0)
        return raw if len(raw) < self._size else self._whole(fd)

    def fileno(self) -> int:
        """Return the descriptor kept open (opened now if need be); -1 where none is kept.

        Raises:
            OSError: the file cannot be opened.
        """
        if self._fd < 0 and self._keep:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
        return self._fd

    def _whole(self, fd: int) -> bytes:
        while True:
            raw = os.pread(fd, self._size, 0)
            if len(raw) < self._size:
                return raw
            self._size *= 4

    def close(self) -> None:
        """Release the descriptor (a later read opens the file again)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self) -> None:
        self.close()


def is_real_procfs(root: Path | str) -> bool:
    """Tell whether ``root`` is the system's ``/proc`` (files may then stay open)."""
    return os.path.realpath(root) == "/proc"


def parse_stat(raw: bytes, page_bytes: int) -> ProcStat | None:
    """Parse the content of ``/proc/PID/stat``; None when it is malformed."""
    # The command name is in parentheses and may hold spaces or ')'.
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return ProcStat(
            int(fields[1]),
            int(fields[19]),
            int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]),
            int(fields[21]) * page_bytes,
        )
    except (IndexError, ValueError):
        return None


def parse_machine(
    raw: bytes, ticks_per_s: float, cpus: Collection[int] | None = None
) -> MachineCpuTimes:
    """Parse ``/proc/stat``: the whole machine, or only the CPUs in ``cpus``."""
    busy = total = 0
    if cpus is None:
        lines = [raw[: raw.index(b"\n")]]
    else:
        wanted = {b"cpu%d" % n for n in cpus}
        lines = [line for line in raw.split(b"\n") if line.split(b" ", 1)[0] in wanted]
    for line in lines:
        user, nice, system, idle, iowait, irq, softirq = map(int, line.split()[1:8])
        line_busy = user + nice + system + irq + softirq
        busy += line_busy
        total += line_busy + idle + iowait
    return MachineCpuTimes(busy / ticks_per_s, total / ticks_per_s)


class ProcfsReader:
    """Read process and machine figures from a Linux procfs tree."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._prefix = str(root)
        self.keep_open = is_real_procfs(root)
        self.ticks_per_s = float(os.sysconf("SC_CLK_TCK")) if hasattr(os, "sysconf") else 100.0
        self.page_bytes = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
        self._stat = ProcFile(f"{root}/stat", keep_open=self.keep_open)
        self._uptime = ProcFile(f"{root}/uptime", keep_open=self.keep_open)

    def stat_file(self, pid: int) -> ProcFile:
        """Return the ``stat`` file of ``pid``, to be read again and again."""
        return ProcFile(f"{self._prefix}/{pid}/stat", keep_open=self.keep_open)

    def read_stat(self, file: ProcFile) -> ProcStat | None:
        """Read a process's ``stat`` file; None if it is gone or unreadable."""
        try:
            raw = file.read()
        except OSError:
            return None
        return parse_stat(raw, self.page_bytes)

    def stat(self, pid: int) -> ProcStat | None:
        """Return the process's figures, or None if it is gone or unreadable."""
        return self.read_stat(ProcFile(f"{self._prefix}/{pid}/stat", keep_open=False))

    def pids(self) -> set[int]:
        """Return the ids of every process now."""
        try:
            return {int(name) for name in os.listdir(self.root) if name.isdigit()}
        except OSError:
            return set()

    def now_ticks(self) -> int:
        """Return the time since boot, in clock ticks (the unit of ``start_ticks``)."""
        return int(float(self._uptime.read().split()[0]) * self.ticks_per_s)

    def machine_raw(self) -> bytes:
        """Return the content of ``/proc/stat`` now (parse it with :meth:`parse`)."""
        return self._stat.read()

    @property
    def machine_file(self) -> ProcFile:
        """``/proc/stat``, kept open (its ``read`` is :meth:`machine_raw`, one call less)."""
        return self._stat

    def parse(self, raw: bytes, cpus: Collection[int] | None = None) -> MachineCpuTimes:
        """Parse a ``/proc/stat`` content read by :meth:`machine_raw`."""
        return parse_machine(raw, self.ticks_per_s, cpus)

    def machine(self, cpus: Collection[int] | None = None) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now (of ``cpus`` only if given)."""
        return parse_machine(self._stat.read(), self.ticks_per_s, cpus)


class PsutilReader:
    """The same figures through psutil, for systems without procfs."""

    ticks_per_s = 1000.0
    keep_open = False

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
                    p.ppid(),
                    int(p.create_time() * self.ticks_per_s),
                    int(cpu * self.ticks_per_s),
                    int(p.memory_info().rss),
                )
        except (ps.Error, OSError):
            return None

    def pids(self) -> set[int]:
        """Return the ids of every process now."""
        return set(self._psutil.pids())

    def now_ticks(self) -> int:
        """Return the time since boot, in clock ticks."""
        return int(time.time() * self.ticks_per_s)

    def machine(self, cpus: Collection[int] | None = None) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now (of ``cpus`` only if given)."""
        if cpus is not None:
            per_cpu = self._psutil.cpu_times(percpu=True)
            return _sum_times([per_cpu[n] for n in cpus if n < len(per_cpu)])
        return _sum_times([self._psutil.cpu_times()])


def _sum_times(all_times: list[object]) -> MachineCpuTimes:
    busy = total = 0.0
    for t in all_times:
        idle = t.idle + getattr(t, "iowait", 0.0)  # type: ignore[attr-defined]
        b = sum(t) - idle - getattr(t, "steal", 0.0) - getattr(t, "guest", 0.0)  # type: ignore[call-overload]
        b -= getattr(t, "guest_nice", 0.0)
        busy += b
        total += b + idle
    return MachineCpuTimes(busy, total)


class MemInfo:
    """Machine memory in use (``MemTotal - MemAvailable``), re-read with ``pread``."""

    __slots__ = ("_file",)

    def __init__(self, procfs_root: Path) -> None:
        self._file = ProcFile(f"{procfs_root}/meminfo", keep_open=is_real_procfs(procfs_root))

    def used_bytes(self) -> float:
        """Return the machine's memory in use now. Units: bytes."""
        try:
            raw = self._file.read()
            total = raw.index(b"MemTotal:") + 9
            avail = raw.index(b"MemAvailable:") + 13
            mem_total = int(raw[total : raw.index(b"k", total)])
            return float((mem_total - int(raw[avail : raw.index(b"k", avail)])) * 1024)
        except (OSError, ValueError):
            from wattprint.power.cpu.info import read_ram_used_bytes

            return float(read_ram_used_bytes(Path(self._file.path).parent))


def make_reader(procfs_root: Path | None = None) -> ProcfsReader | PsutilReader:
    """Return the procfs reader on Linux (or for an explicit root), else psutil's."""
    if procfs_root is not None:
        return ProcfsReader(procfs_root)
    if sys.platform.startswith("linux") and os.path.exists("/proc/stat"):
        return ProcfsReader(Path("/proc"))
    return PsutilReader()


class MachineCpu:
    """Cumulative busy and total CPU time of the machine.

    The tracker's meter reads ``/proc/stat`` once per sample and hands the
    figures over (:meth:`hand`), so a model source reading them in the same
    sample does not read the file a second time.
    """

    __slots__ = ("_reader", "_handed")

    def __init__(self, *, procfs_root: Path | None = None) -> None:
        self._reader = make_reader(procfs_root)
        self._handed: MachineCpuTimes | None = None

    def hand(self, times: MachineCpuTimes) -> None:
        """Give the times just read by someone else; the next :meth:`times` returns them."""
        self._handed = times

    def times(self) -> MachineCpuTimes:
        """Return the machine's cumulative CPU times now (or those just handed over)."""
        handed = self._handed
        if handed is not None:
            self._handed = None
            return handed
        return self._reader.machine()

"""The sampling thread's idle ticks, taken outside the interpreter where they can be.

Where every source is a model read for a moment (:attr:`Meter.batches`), a
tick of the sampling thread only reads ``/proc/stat`` and the tracked
processes' ``stat`` files; the meter works the ticks out later, a batch at a
time. Waking the interpreter each second for that costs more than the reads
themselves (its caches are cold each time), so where the optional C
extension ``wattprint.tracking._ticks`` was built, the thread calls it once a
batch: it waits and reads with the GIL released and hands the raw bytes back.

New processes: instead of reading the tracked processes' children files at
each tick, the extension watches the newest process id of ``/proc/loadavg``.
Each process created since is looked up (its parent, in ``/proc/PID/stat``);
when one's parent is tracked, it returns and the tree looks for new
descendants below that parent at once (below every tracked process where it
cannot tell: too many new processes in one interval).

Without the extension (no C compiler at install, not Linux), or where the
tree is not read through procfs files kept open, the ticks are taken in
Python as before: same figures, a higher idle cost.
"""

from __future__ import annotations

import os
from types import ModuleType

from wattprint.power.cpu.procfs import ProcFile
from wattprint.tracking.meter import Meter
from wattprint.tracking.process_tree import ProcessTree

NATIVE = True
"""Use the C extension where it was built (tests and benchmarks turn it off)."""

INF = float("inf")


def native_module() -> ModuleType | None:
    """Return the C extension, or None where it was not built (or :data:`NATIVE` is off)."""
    if not NATIVE:
        return None
    try:
        from wattprint.tracking import _ticks
    except ImportError:
        return None
    return _ticks


def make_bell() -> int:
    """Make an eventfd the C wait watches (a caller writes to it); -1 where there is none."""
    try:
        return os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
    except (AttributeError, OSError):
        return -1


def ring(bell: int) -> None:
    """Wake a thread waiting on ``bell``."""
    try:
        os.eventfd_write(bell, 1)
    except OSError:
        pass


def drain(bell: int) -> None:
    """Take the rings off ``bell`` (it is read before the thread looks for work)."""
    try:
        os.eventfd_read(bell)
    except OSError:
        pass  # not rung (EAGAIN)


class NativeTicks:
    """Take a meter's gathered ticks through the C extension.

    Args:
        meter: the meter the ticks go to.
        module: the C extension (:func:`native_module`).
        procfs_root: where procfs is mounted (the real one: files stay open).
    """

    def __init__(self, meter: Meter, module: ModuleType, procfs_root: str = "/proc") -> None:
        self._meter = meter
        self._gather = module.gather
        self._rung, self._changed = module.RUNG, module.CHANGED
        self._loadavg = ProcFile(f"{procfs_root}/loadavg")
        self._newest_pid = self._read_newest_pid()
        self._stat = meter.stat_file
        self._stat_bytes = 4096
        # This process's own figures come from times() and statm: its stat file costs
        # the kernel several times as much to write, at each tick.
        self._statm = ProcFile(f"{procfs_root}/{os.getpid()}/statm")
        self._pid = os.getpid()

    def _read_newest_pid(self) -> int:
        try:
            return int(self._loadavg.read().split()[-1])
        except (OSError, ValueError, IndexError):
            return -1

    def _files(self) -> tuple[tuple[int, ...], tuple[int, ...], int] | None:
        """Return a tick's pids, fds (``/proc/stat`` first) and loadavg's fd; None: Python."""
        if self._stat is None:
            return None
        tree = self._meter.tree
        pids: tuple[int, ...] = ()
        fds: tuple[int, ...] = ()
        watch = -1
        try:
            if tree is not None:
                if not isinstance(tree, ProcessTree):
                    return None
                found = tree.tick_files()
                if found is None or self._newest_pid < 0:
                    return None
                pids, fds = found
                watch = self._loadavg.fileno()
            stat = self._stat.fileno()
        except OSError:
            return None
        if stat < 0:
            return None
        return pids, (stat, *fds), watch

    def tick(
        self, bell: int, due_s: float, interval_s: float, until_s: float, generation: int
    ) -> tuple[float, bool]:
        """Take ticks from ``due_s`` on until the batch is full, ``until_s``, or a ring.

        Returns:
            (when the next tick is due, whether a whole sample is due now). Not
            due: the thread was rung or a tracked process made one (the caller
            looks at its work and calls again).
        """
        meter = self._meter
        found = self._files()
        room = meter.gather_room(self._stat_bytes) if due_s < until_s else 0
        if found is None or room <= 0:
            return self._wait(bell, due_s, interval_s, room > 0, generation)
        pids, fds, watch = found
        self_at, statm = -1, -1
        if self._pid in pids and self._pid == os.getpid():
            try:
                statm = self._statm.fileno()
                self_at = 1 + pids.index(self._pid)  # fds[0] is /proc/stat
            except OSError:
                self_at = -1
        ticks, reason, next_due, self._newest_pid, parents = self._gather(
            bell, fds, pids, due_s, interval_s, room, until_s, watch, self._newest_pid,
            self_at, statm,
        )  # fmt: skip
        if ticks:
            raw = ticks[-1][2][0]
            if raw is not None:
                self._stat_bytes = len(raw)
        changed = reason == self._changed and (parents is None or len(parents) > 0)
        meter.add_ticks(ticks, pids, generation, parents=parents if changed else ())
        return next_due, False

    def _wait(
        self, bell: int, due_s: float, interval_s: float, gather: bool, generation: int
    ) -> tuple[float, bool]:
        """Wait for ``due_s`` (or a ring); then gather in Python, or say a whole sample is due."""
        ticks, reason, _, _, _ = self._gather(
            bell, (), (), due_s, interval_s, 1, INF, -1, -1, -1, -1
        )
        if reason == self._rung or not ticks:
            return due_s, False
        now_s, wall_s, _ = ticks[0]
        if gather and self._meter.gather(now_s, wall_s, generation):
            return now_s + interval_s, False
        return due_s, True

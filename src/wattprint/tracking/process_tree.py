"""CPU time and memory of the machine and of a tracked process tree.

Process mode charges the tracked tree a share of the machine's energy: its
share of the CPU time the machine spent busy, and its share of the installed
memory. This module measures the inputs of those shares, cheaply:

* the machine's cumulative busy and total CPU time (``/proc/stat``);
* the tree's cumulative CPU time (user + system, the processes' own plus that
  of the children they reaped) and its current resident memory.

The tree is the root process and every descendant, including ones started
after tracking began (data-loader workers, ``make -j`` jobs). A descendant
found late still has all of its CPU time counted, because a process that
started after tracking began is counted from zero. A process that exits is
reaped by its parent, whose ``cutime``/``cstime`` then include it; its own
entry is dropped at that moment, so no CPU second is counted twice. Finding
new descendants means listing ``/proc`` and reading the processes not seen
at the previous scan (the others' parents are remembered), which costs
little once the machine's processes are known; the scan runs at most every
``rescan_s`` seconds, and known processes are read on every sample.

On Linux everything is read from procfs (``procfs_root``, injectable for
tests); elsewhere psutil gives the same figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wattprint.power.cpu.procfs import make_reader


@dataclass(frozen=True, slots=True)
class TreeSample:
    """The tracked tree at one moment.

    Attributes:
        cpu_s: CPU time used since tracking began, summed over the tree and
            its reaped children. Units: s, cumulative.
        rss_bytes: resident memory of the live processes now. Units: bytes.
        processes: how many live processes the tree holds now.
    """

    cpu_s: float
    rss_bytes: int
    processes: int


@dataclass(slots=True)
class _Tracked:
    start_ticks: int
    baseline_ticks: int
    last_ticks: int
    ppid: int
    rss_bytes: int


class ProcessTree:
    """Follow a process and all its descendants, counting their CPU time.

    Args:
        root_pid: the process at the top of the tree.
        procfs_root: where procfs is mounted (tests pass a recorded tree).
        rescan_s: the least time between two scans for new descendants. Units: s.
        root_is_new: count the root's CPU time from zero (a child started for
            tracking, as ``wattprint run`` does), not from ``start()``.
        clock: monotonic clock. Units: s.
    """

    def __init__(
        self,
        root_pid: int,
        *,
        procfs_root: Path | None = None,
        rescan_s: float = 10.0,
        root_is_new: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root_pid = root_pid
        self._root_is_new = root_is_new
        self._reader = make_reader(procfs_root)
        self._rescan_s = rescan_s
        self._clock = clock
        self._tracked: dict[int, _Tracked] = {}
        self._departed_ticks = 0
        self._floor_s = 0.0
        self._high_s = 0.0
        self._since_ticks = 0
        self._last_scan = float("-inf")
        self._others: dict[int, int] = {}  # processes outside the tree: pid -> ppid

    def start(self) -> TreeSample:
        """Take the baseline: CPU time already used is not counted."""
        self._tracked.clear()
        self._departed_ticks = 0
        self._floor_s = 0.0
        self._high_s = 0.0
        self._others.clear()
        self._since_ticks = self._reader.now_ticks()
        st = self._reader.stat(self.root_pid)
        if st is not None and self._root_is_new:
            # Everything the new root started, even before start(), is counted.
            self._since_ticks = min(self._since_ticks, st.start_ticks)
        if st is not None:
            baseline = 0 if self._root_is_new else st.cpu_ticks
            self._tracked[self.root_pid] = _Tracked(
                st.start_ticks, baseline, st.cpu_ticks, st.ppid, st.rss_bytes
            )
        self._scan()
        return self.sample(rescan=False)

    def pids(self) -> frozenset[int]:
        """Return the ids of the tree's live processes (as of the last sample)."""
        return frozenset(self._tracked)

    def note_reaped_cpu(self, cpu_s: float) -> None:
        """Raise the count to at least ``cpu_s`` (exact figure from ``wait4``). Units: s."""
        self._floor_s = max(self._floor_s, cpu_s)

    def sample(self, *, rescan: bool | None = None) -> TreeSample:
        """Read the tree now; scan for new descendants when due (or when told)."""
        self._refresh()
        due = self._clock() - self._last_scan >= self._rescan_s
        if rescan or (rescan is None and due):
            self._scan()
        live = self._tracked.values()
        ticks = self._departed_ticks + sum(t.last_ticks - t.baseline_ticks for t in live)
        # A child reaped between reading its parent and reading it shows up in
        # the parent's cutime only at the next sample: hold the high-water mark
        # so the count never goes back (and so never counts anything twice).
        self._high_s = max(self._high_s, ticks / self._reader.ticks_per_s, self._floor_s)
        return TreeSample(
            cpu_s=self._high_s,
            rss_bytes=sum(t.rss_bytes for t in live),
            processes=len(self._tracked),
        )

    def _refresh(self) -> None:
        gone: list[int] = []
        for pid, t in self._tracked.items():
            st = self._reader.stat(pid)
            if st is None or st.start_ticks != t.start_ticks:
                gone.append(pid)
                continue
            t.last_ticks = max(t.last_ticks, st.cpu_ticks)
            t.ppid = st.ppid
            t.rss_bytes = st.rss_bytes
        ended = set(gone)
        for pid in gone:
            t = self._tracked.pop(pid)
            if t.ppid in self._tracked and t.ppid not in ended:
                # Reaped by a live tracked parent: its time now shows in the parent's
                # cutime/cstime in full, including any pre-tracking baseline. (A
                # parent that ended too was last read before this reap, so the
                # child's own count stands.)
                self._departed_ticks -= t.baseline_ticks
            else:
                self._departed_ticks += t.last_ticks - t.baseline_ticks

    def _scan(self) -> None:
        """Find new descendants. Only processes not seen before are read."""
        self._last_scan = self._clock()
        pids = self._reader.pids()
        self._others = {p: ppid for p, ppid in self._others.items() if p in pids}
        for pid in pids - self._others.keys() - self._tracked.keys():
            st = self._reader.stat(pid)
            if st is not None:
                self._others[pid] = st.ppid
        children: dict[int, list[int]] = {}
        for pid, ppid in self._others.items():
            children.setdefault(ppid, []).append(pid)
        stack = list(self._tracked)
        while stack:
            for child in children.get(stack.pop(), ()):
                st = self._reader.stat(child)
                if st is None or child in self._tracked:
                    continue
                del self._others[child]
                new = st.start_ticks >= self._since_ticks
                baseline = 0 if new else st.cpu_ticks
                self._tracked[child] = _Tracked(
                    st.start_ticks, baseline, st.cpu_ticks, st.ppid, st.rss_bytes
                )
                stack.append(child)

"""CPU time and memory of a tracked process tree, read cheaply.

Process mode charges the tracked tree a share of the machine's energy: its
share of the CPU time, and its share of the installed memory. This module
measures the tree's cumulative CPU time (user + system, the processes' own
plus that of the children they reaped) and its current resident memory. Three
methods, best first (the methodology names the one used):

* **cgroup**: ``wattprint run`` puts its command in a cgroup of its own where
  the machine allows it (:mod:`wattprint.tracking.cgroup`); the tree's CPU
  time is then one read of ``cpu.stat`` (or ``cpuacct.usage``), exact and
  including every reaped descendant, and its memory one read of
  ``memory.current`` (:class:`CgroupTree`).
* **children files**: the kernel lists each thread's children in
  ``/proc/PID/task/TID/children``; new descendants are found by reading
  those of the tracked processes only.
* **scan**: otherwise ``/proc`` is listed and the processes not seen before
  are read, at most every ``rescan_s`` seconds (10 s by default).

With the last two, the known processes' own ``stat`` files are read at every
sample (opened once, re-read with ``pread``); a process whose ``stat`` reads
the same bytes as before was not scheduled since (a running or forking process
moves its CPU or page-fault counters), so it is neither parsed nor searched for
new children. A descendant found late still
has all of its CPU time counted, because a process that started after
tracking began is counted from zero. A process that exits is reaped by its
parent, whose ``cutime``/``cstime`` then include it; its own entry is dropped
at that moment, so no CPU second is counted twice.

On Linux everything is read from procfs (``procfs_root``, injectable for
tests); elsewhere psutil gives the same figures.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from wattprint._record import NamedTuple
from wattprint.power.cpu.procfs import ProcFile, ProcfsReader, ProcStat, make_reader, parse_stat

MAX_OPEN_FILES = 512
"""Tracked processes whose ``stat`` file stays open; more are re-opened at each read."""


class TreeSample(NamedTuple):
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


class _Tracked:
    __slots__ = (
        "start_ticks", "baseline_ticks", "last_ticks", "ppid", "rss_bytes", "file", "children",
        "raw", "moved", "moved_since_walk",
    )  # fmt: skip

    def __init__(
        self,
        st: ProcStat,
        baseline_ticks: int,
        file: ProcFile | None,
        children: ProcFile | None = None,
    ) -> None:
        self.start_ticks = st.start_ticks
        self.baseline_ticks = baseline_ticks
        self.last_ticks = st.cpu_ticks
        self.ppid = st.ppid
        self.rss_bytes = st.rss_bytes
        self.file = file
        self.children = children  # the main thread's children file, read at every sample
        self.raw = b""  # the stat file's last content
        # Whether the stat file changed at the last read, and since the last walk of
        # the children files: a process that was never scheduled has forked nothing.
        self.moved = True
        self.moved_since_walk = True


class ProcessTree:
    """Follow a process and all its descendants, counting their CPU time.

    Args:
        root_pid: the process at the top of the tree.
        procfs_root: where procfs is mounted (tests pass a recorded tree).
        rescan_s: the least time between two scans of ``/proc`` for new
            descendants (where the kernel has no children files). Units: s.
        children_rescan_s: the least time between two walks of the children
            files (where the kernel has them). Units: s.
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
        children_rescan_s: float = 2.0,
        root_is_new: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root_pid = root_pid
        self._root_is_new = root_is_new
        self._reader = make_reader(procfs_root)
        self._prefix = str(procfs_root or "/proc")
        self._children_files = isinstance(self._reader, ProcfsReader) and os.path.exists(
            f"{self._prefix}/{root_pid}/task/{root_pid}/children"
        )
        self._rescan_s = min(rescan_s, children_rescan_s) if self._children_files else rescan_s
        self._clock = clock
        self._tracked: dict[int, _Tracked] = {}
        self._departed_ticks = 0
        self._floor_s = 0.0
        self._high_s = 0.0
        self._since_ticks = 0
        self._last_scan = float("-inf")
        self._others: dict[int, int] = {}  # processes outside the tree: pid -> ppid

    @property
    def method(self) -> str:
        """How new descendants are found, for the methodology."""
        if self._children_files:
            return "the kernel's children files (/proc/PID/task/TID/children)"
        return f"a scan of /proc at most every {self._rescan_s:g} s"

    def start(self) -> TreeSample:
        """Take the baseline: CPU time already used is not counted."""
        self.close()
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
            self._add(self.root_pid, st)
        self._scan()
        return self.sample(rescan=False)

    def _add(self, pid: int, st: ProcStat) -> None:
        new = pid == self.root_pid and self._root_is_new or st.start_ticks >= self._since_ticks
        file = children = None
        if isinstance(self._reader, ProcfsReader):
            keep = self._reader.keep_open and len(self._tracked) < MAX_OPEN_FILES // 2
            file = ProcFile(f"{self._prefix}/{pid}/stat", keep_open=keep)
            if self._children_files:
                children = ProcFile(f"{self._prefix}/{pid}/task/{pid}/children", keep_open=keep)
        self._tracked[pid] = _Tracked(st, 0 if new else st.cpu_ticks, file, children)

    def pids(self) -> frozenset[int]:
        """Return the ids of the tree's live processes (as of the last sample)."""
        return frozenset(self._tracked)

    def note_reaped_cpu(self, cpu_s: float) -> None:
        """Raise the count to at least ``cpu_s`` (exact figure from ``wait4``). Units: s."""
        self._floor_s = max(self._floor_s, cpu_s)

    def sample(self, *, rescan: bool | None = None) -> TreeSample:
        """Read the tree now; look for new descendants when due (or when told)."""
        self._refresh()
        if rescan or (rescan is None and self._clock() - self._last_scan >= self._rescan_s):
            self._scan()
        elif self._children_files:
            self._main_thread_children()
        return self._total()

    def tick_files(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """Return the tracked processes and their ``stat`` descriptors, for raw ticks.

        None where the tree is not read that way: not the children-files
        method, or a ``stat`` file not kept open.
        """
        if not self._children_files:
            return None
        pids, fds = [], []
        for pid, t in self._tracked.items():
            fd = t.file.fileno() if t.file is not None else -1
            if fd < 0:
                return None
            pids.append(pid)
            fds.append(fd)
        return tuple(pids), tuple(fds)

    def replay(self, pids: tuple[int, ...], raws: tuple[bytes | None, ...]) -> TreeSample:
        """Return the tree at a tick whose ``stat`` files were read raw (:meth:`tick_files`).

        ``raws[i]`` is what ``pids[i]``'s file held then (None: the read failed,
        the process is gone). No new descendant is looked for: the caller
        calls :meth:`discover` once a tracked process made one. A
        pid no longer tracked is ignored, and one tracked since is left as it is.
        """
        self._refresh(dict(zip(pids, raws, strict=True)))
        return self._total()

    def discover(self, parents: tuple[int, ...] | None) -> None:
        """Look for new descendants below ``parents`` now (None: below every tracked process)."""
        wanted = self._tracked if parents is None else parents
        self._walk([p for p in wanted if p in self._tracked])

    def _total(self) -> TreeSample:
        ticks = self._departed_ticks
        rss = 0
        for t in self._tracked.values():
            ticks += t.last_ticks - t.baseline_ticks
            rss += t.rss_bytes
        # A child reaped between reading its parent and reading it shows up in
        # the parent's cutime only at the next sample: hold the high-water mark
        # so the count never goes back (and so never counts anything twice).
        self._high_s = max(self._high_s, ticks / self._reader.ticks_per_s, self._floor_s)
        return TreeSample(self._high_s, rss, len(self._tracked))

    def close(self) -> None:
        """Close the files held open and forget the tree."""
        for t in self._tracked.values():
            for file in (t.file, t.children):
                if file is not None:
                    file.close()
        self._tracked.clear()

    def _read(self, pid: int, t: _Tracked) -> ProcStat | None:
        reader = self._reader
        if t.file is not None and isinstance(reader, ProcfsReader):
            return reader.read_stat(t.file)
        return reader.stat(pid)

    def _refresh(self, raws: dict[int, bytes | None] | None = None) -> None:
        """Read the tracked processes (or take ``raws``, read earlier: see :meth:`replay`)."""
        gone: list[int] = []
        procfs = isinstance(self._reader, ProcfsReader)
        for pid, t in self._tracked.items():
            if raws is not None:
                if pid not in raws:
                    continue  # tracked since those reads: read at the next sample
                raw = raws[pid]
                if raw is None:
                    gone.append(pid)
                    continue
            elif procfs and t.file is not None:
                try:
                    raw = t.file.read()
                except OSError:
                    gone.append(pid)
                    continue
            else:
                raw = None
            if raw is not None:
                # Unchanged bytes: the process was not scheduled (a running or
                # forking process moves its CPU or fault counters), so skip it.
                if raw == t.raw:
                    t.moved = False
                    continue
                t.raw = raw
                t.moved = t.moved_since_walk = True
                if raw.startswith(b"self "):  # this process, read by a raw tick (.ticks)
                    _, ticks, pages = raw.split()
                    t.last_ticks = max(t.last_ticks, int(ticks))
                    t.rss_bytes = int(pages) * self._reader.page_bytes  # type: ignore[union-attr]
                    continue
                st = parse_stat(raw, self._reader.page_bytes)  # type: ignore[union-attr]
            else:
                st = self._read(pid, t)
            if st is None or st.start_ticks != t.start_ticks:
                gone.append(pid)
                continue
            if st.cpu_ticks > t.last_ticks:
                t.last_ticks = st.cpu_ticks
            t.ppid = st.ppid
            t.rss_bytes = st.rss_bytes
        if not gone:
            return
        ended = set(gone)
        for pid in gone:
            t = self._tracked.pop(pid)
            for file in (t.file, t.children):
                if file is not None:
                    file.close()
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
        if self._children_files:
            self._walk_children()
            return
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
                self._add(child, st)
                stack.append(child)

    def _main_thread_children(self) -> None:
        """Find new children of the tracked processes' main threads (at every sample)."""
        found: list[int] = []
        for t in self._tracked.values():
            if t.children is None or not t.moved:
                continue
            try:
                raw = t.children.read()
            except OSError:
                continue
            if raw:
                found += [c for c in map(int, raw.split()) if c not in self._tracked]
        if found:
            self._walk_children(found)

    def _walk_children(self, start: list[int] | None = None) -> None:
        """Find new descendants through the children files (of ``start`` and below)."""
        stack = [p for p, t in self._tracked.items() if t.moved_since_walk] if start is None else []
        if start is None:
            for t in self._tracked.values():
                t.moved_since_walk = False
        for pid in start or ():
            st = self._reader.stat(pid)
            if st is not None and pid not in self._tracked:
                self._add(pid, st)
                stack.append(pid)
        self._walk(stack)

    def _walk(self, stack: list[int]) -> None:
        """Add the untracked descendants of the processes in ``stack`` (emptied)."""
        while stack:
            pid = stack.pop()
            for child in self._children_of(pid):
                if child in self._tracked:
                    continue
                st = self._reader.stat(child)
                if st is not None:
                    self._add(child, st)
                    stack.append(child)

    def _children_of(self, pid: int) -> list[int]:
        found: list[int] = []
        try:
            tids = os.listdir(f"{self._prefix}/{pid}/task")
        except OSError:
            return found
        for tid in tids:
            try:
                with open(f"{self._prefix}/{pid}/task/{tid}/children", "rb") as f:
                    found.extend(int(c) for c in f.read().split())
            except (OSError, ValueError):
                continue
        return found

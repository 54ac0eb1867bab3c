"""A cgroup of its own for the command of ``wattprint run``: its tree read in one file.

Where the machine allows it (cgroup v2 with write access to the current
cgroup, else cgroup v1's ``cpuacct`` controller), ``wattprint run`` makes a
leaf cgroup named ``wattprint-<owner pid>-<owner start ticks>`` and the
command joins it from the child side before it runs its first instruction.
Every process the command starts is then in it, whoever reaps it, so:

* the tree's CPU time is one read of ``cpu.stat`` (``usage_usec``) or
  ``cpuacct.usage``, exact and including every reaped descendant;
* its memory is one read of ``memory.current`` (v2 with the memory
  controller) or ``memory.usage_in_bytes`` (a v1 memory cgroup made under the
  current one, so its limits still apply), page cache included;
* ending it after a crash is exact: ``cgroup.kill`` where the kernel has it,
  else a signal to every process in ``cgroup.procs``.

At the end the cgroup is removed (a process still in it is moved back to
where wattprint runs first). One left behind by a ``wattprint run`` that was
killed is removed by the next one (its owner is dead). A cgroup that cannot
be made is not an error: the process tree is then followed through procfs.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from wattprint._record import NamedTuple
from wattprint.power.cpu.procfs import ProcFile
from wattprint.tracking.process_tree import TreeSample

PREFIX = "wattprint-"
"""Name prefix of the cgroups made here."""


class CgroupDir(NamedTuple):
    """One cgroup made for the command, with the file read from it."""

    path: str
    origin: str  # the cgroup wattprint runs in, where leftovers are moved back
    kind: str  # "v2", "cpuacct" (v1) or "memory" (v1)


def _owner_tag(procfs_root: str, pid: int) -> str:
    try:
        with open(f"{procfs_root}/{pid}/stat", "rb") as f:
            raw = f.read()
        start = raw[raw.rfind(b")") + 2 :].split()[19].decode()
    except (OSError, IndexError):
        start = "0"
    return f"{PREFIX}{pid}-{start}"


def _current(procfs_root: str, controller: str) -> str | None:
    """Return this process's cgroup path in the hierarchy of ``controller`` ('' for v2)."""
    try:
        with open(f"{procfs_root}/self/cgroup", encoding="utf-8") as f:
            for line in f:
                _, names, path = line.rstrip("\n").split(":", 2)
                if names.split(",").count(controller) or (controller == "" and names == ""):
                    return path
    except (OSError, ValueError):
        pass
    return None


def _v2_root(cgroup_root: str) -> str | None:
    for root in (cgroup_root, f"{cgroup_root}/unified"):
        if os.path.exists(f"{root}/cgroup.controllers"):
            return root
    return None


def _v1_root(cgroup_root: str, controller: str) -> str | None:
    for name in (controller, f"cpu,{controller}", f"{controller},cpu"):
        if os.path.exists(f"{cgroup_root}/{name}/cgroup.procs"):
            return f"{cgroup_root}/{name}"
    return None


def _make(parent: str, name: str, kind: str) -> CgroupDir | None:
    path = f"{parent.rstrip('/')}/{name}"
    try:
        os.mkdir(path)
    except FileExistsError:
        pass
    except OSError:
        return None
    if not os.access(f"{path}/cgroup.procs", os.W_OK):
        _rmdir(path)
        return None
    return CgroupDir(path, parent, kind)


def _rmdir(path: str) -> bool:
    try:
        os.rmdir(path)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


class RunCgroup:
    """The cgroup(s) made for the command, and the readers of its figures.

    Args:
        dirs: the cgroups made (the CPU one first; a v1 memory one may follow).
    """

    def __init__(self, dirs: list[CgroupDir]) -> None:
        self.dirs = dirs
        cpu = dirs[0]
        self.kind = "cgroup v2" if cpu.kind == "v2" else "cgroup v1 cpuacct"
        self._cpu_file = ProcFile(
            f"{cpu.path}/cpu.stat" if cpu.kind == "v2" else f"{cpu.path}/cpuacct.usage"
        )
        self._procs = ProcFile(f"{cpu.path}/cgroup.procs")
        memory = None
        if cpu.kind == "v2" and os.path.exists(f"{cpu.path}/memory.current"):
            memory = f"{cpu.path}/memory.current"
        for d in dirs[1:]:
            memory = f"{d.path}/memory.usage_in_bytes"
        self._memory = ProcFile(memory) if memory else None
        self._join_fds: list[int] = []

    @property
    def has_memory(self) -> bool:
        """True where the tree's memory is one read of the cgroup."""
        return self._memory is not None

    @property
    def path(self) -> str:
        """The CPU cgroup's directory."""
        return self.dirs[0].path

    def prepare_join(self) -> None:
        """Open the ``cgroup.procs`` files the child writes itself into (before the fork)."""
        self._join_fds = [
            os.open(f"{d.path}/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for d in self.dirs
        ]

    def join_from_child(self) -> None:  # pragma: no cover - runs in the forked child
        """In the child, before exec: move this process into the cgroup(s)."""
        for fd in self._join_fds:
            with contextlib.suppress(OSError):
                os.write(fd, b"0")

    def close_join(self) -> None:
        """Close the files opened by :meth:`prepare_join`."""
        for fd in self._join_fds:
            os.close(fd)
        self._join_fds = []

    def join(self, pid: int) -> bool:
        """Move ``pid`` into the cgroup(s) from outside; False if it could not be."""
        ok = True
        for d in self.dirs:
            try:
                with open(f"{d.path}/cgroup.procs", "w", encoding="ascii") as f:
                    f.write(str(pid))
            except OSError:
                ok = False
        return ok

    def cpu_s(self) -> float:
        """Return the CPU time of every process ever in the cgroup. Units: s, cumulative."""
        raw = self._cpu_file.read()
        if self.dirs[0].kind == "v2":
            start = raw.index(b"usage_usec ") + 11
            return int(raw[start : raw.index(b"\n", start)]) / 1e6
        return int(raw) / 1e9

    def memory_bytes(self) -> int | None:
        """Return the memory charged to the cgroup now, or None without the controller."""
        if self._memory is None:
            return None
        return int(self._memory.read())

    def pids(self) -> list[int]:
        """Return the processes in the cgroup now."""
        try:
            return [int(p) for p in self._procs.read().split()]
        except (OSError, ValueError):
            return []

    def remove(self) -> bool:
        """Move any process still in it back to where wattprint runs, and remove it."""
        self._cpu_file.close()
        self._procs.close()
        if self._memory is not None:
            self._memory.close()
        return all(_remove(d) for d in self.dirs)


def _remove(d: CgroupDir) -> bool:
    if _rmdir(d.path):
        return True
    try:  # still holds processes (a daemon the command left): move them out
        with open(f"{d.path}/cgroup.procs", "rb") as f:
            pids = f.read().split()
        for pid in pids:
            with contextlib.suppress(OSError), open(f"{d.origin}/cgroup.procs", "wb") as out:
                out.write(pid)
    except OSError:
        return False
    return _rmdir(d.path)


def _leftovers(parents: list[str]) -> Iterator[tuple[str, str, int, str]]:
    for parent in parents:
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            if name.startswith(PREFIX):
                pid, _, start = name[len(PREFIX) :].partition("-")
                if pid.isdigit():
                    yield parent, name, int(pid), start


def remove_stale(
    *, cgroup_root: str = "/sys/fs/cgroup", procfs_root: str = "/proc"
) -> list[str]:
    """Remove the cgroups left by ``wattprint run`` processes that died; return them."""
    parents = _parents(cgroup_root, procfs_root)
    removed = []
    for parent, name, pid, start in _leftovers([p for p, _ in parents]):
        if _owner_tag(procfs_root, pid) == f"{PREFIX}{pid}-{start}":
            continue  # its owner runs
        if _remove(CgroupDir(f"{parent}/{name}", parent, "")):
            removed.append(f"{parent}/{name}")
    return removed


def _parents(cgroup_root: str, procfs_root: str) -> list[tuple[str, str]]:
    """Return the (parent directory, kind) pairs a run cgroup may be made under, best first."""
    found: list[tuple[str, str]] = []
    v2 = _v2_root(cgroup_root)
    current = _current(procfs_root, "")
    if v2 is not None and current is not None:
        found.append((f"{v2}{current}".rstrip("/") or v2, "v2"))
    for controller in ("cpuacct", "memory"):
        root, path = _v1_root(cgroup_root, controller), _current(procfs_root, controller)
        if root is not None and path is not None:
            found.append((f"{root}{path}".rstrip("/") or root, controller))
    return found


def create_run_cgroup(
    *,
    owner_pid: int | None = None,
    cgroup_root: str = "/sys/fs/cgroup",
    procfs_root: str = "/proc",
) -> RunCgroup | None:
    """Make the command's cgroup where the machine allows it; None where it does not.

    Removes the leftovers of dead ``wattprint run`` processes first.
    """
    if not os.path.isdir(cgroup_root):
        return None
    remove_stale(cgroup_root=cgroup_root, procfs_root=procfs_root)
    name = _owner_tag(procfs_root, owner_pid if owner_pid is not None else os.getpid())
    made: dict[str, CgroupDir] = {}
    for parent, kind in _parents(cgroup_root, procfs_root):
        if kind in made or (kind == "cpuacct" and "v2" in made):
            continue
        d = _make(parent, name, kind)
        if d is not None:
            made[kind] = d
    cpu = made.get("v2") or made.get("cpuacct")
    if cpu is None:
        for d in made.values():
            _rmdir(d.path)
        return None
    dirs = [cpu]
    memory = made.get("memory")
    if memory is not None:
        if cpu.kind == "v2" and os.path.exists(f"{cpu.path}/memory.current"):
            _rmdir(memory.path)
        else:
            dirs.append(memory)
    return RunCgroup(dirs)


class CgroupTree:
    """The tracked tree read from its cgroup: the interface of a process tree, in one read.

    Args:
        cgroup: the command's cgroup, which the command joined before it ran.
        root_pid: the command.
        procfs_root: where procfs is mounted (memory without the controller).
    """

    def __init__(self, cgroup: RunCgroup, root_pid: int, *, procfs_root: str = "/proc") -> None:
        self.cgroup = cgroup
        self.root_pid = root_pid
        self._procfs_root = procfs_root
        self._page_bytes = os.sysconf("SC_PAGE_SIZE")
        self._floor_s = 0.0
        self._high_s = 0.0
        self._pids: list[int] = []

    @property
    def method(self) -> str:
        """How the tree is read, for the methodology."""
        memory = "memory charged to it" if self.cgroup.has_memory else "resident memory"
        kind = self.cgroup.kind
        return f"the command's own cgroup ({kind}: CPU time of all its processes, {memory})"

    def start(self) -> TreeSample:
        """Take the baseline: the cgroup is new, so everything in it counts."""
        return self.sample()

    def pids(self) -> frozenset[int]:
        """Return the ids of the tree's live processes (as of the last sample)."""
        return frozenset(self._pids)

    def note_reaped_cpu(self, cpu_s: float) -> None:
        """Raise the count to at least ``cpu_s`` (exact figure from ``wait4``). Units: s."""
        self._floor_s = max(self._floor_s, cpu_s)

    def sample(self, *, rescan: bool | None = None) -> TreeSample:
        """Read the tree now (``rescan`` is accepted for the interface and unused)."""
        try:
            cpu_s = self.cgroup.cpu_s()
        except (OSError, ValueError):
            cpu_s = 0.0
        self._high_s = max(self._high_s, cpu_s, self._floor_s)
        self._pids = self.cgroup.pids()
        try:
            memory = self.cgroup.memory_bytes()
        except (OSError, ValueError):
            memory = None
        if memory is None:
            memory = sum(self._rss(pid) for pid in self._pids)
        return TreeSample(self._high_s, memory, len(self._pids))

    def _rss(self, pid: int) -> int:
        try:
            with open(f"{self._procfs_root}/{pid}/statm", "rb") as f:
                return int(f.read().split()[1]) * self._page_bytes
        except (OSError, ValueError, IndexError):
            return 0

    def close(self) -> None:
        """Nothing held open (the cgroup is removed by its maker)."""

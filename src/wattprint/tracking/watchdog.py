"""End a command's whole process tree when ``wattprint run`` dies, however it dies.

``wattprint run`` passes SIGINT and SIGTERM on to its command, and the
command ends with it then. But a SIGKILL (the OOM killer, ``kill -9``, a
scheduler's hard limit) gives wattprint no chance to act, and the command's
tree would run on under PID 1, using energy that nobody measures. So before
it starts the command, ``wattprint run`` forks a tiny watchdog: a process in
a session of its own that blocks on a pipe whose only writer is wattprint.

* When the command ends normally, wattprint writes ``done`` and the watchdog
  exits without doing anything.
* When wattprint dies first, the pipe closes with no ``done``: the watchdog
  sends SIGTERM to every process of the command's tree (the command, its
  descendants found through ``/proc``, and the command's process group), waits
  a short grace period, then sends SIGKILL to whatever is left. When the
  command has a cgroup of its own, its tree is exactly the cgroup's
  processes: they get the SIGTERM, then ``cgroup.kill`` (else SIGKILL to every
  process in ``cgroup.procs``), and the emptied cgroup is removed. The run's
  journal, written at start and at each checkpoint, is then recovered as
  ``crashed`` by ``wattprint recover`` or the next run in that directory.

The watchdog uses only ``os`` calls after the fork (no locks, no logging), so
forking is safe even if a thread was running. It is not part of the tracked
tree, and while it waits it uses no CPU at all.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import warnings
from pathlib import Path

DEFAULT_GRACE_S = 3.0
"""Time the tree gets to end after SIGTERM before SIGKILL. Units: s."""

_DONE = b"done"


def _children_map(procfs_root: Path) -> dict[int, list[int]]:
    """Return ``{parent pid: [child pids]}`` for every process now."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir(procfs_root)
    except OSError:
        return children
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(procfs_root / name / "stat", "rb") as f:
                raw = f.read()
            ppid = int(raw[raw.rfind(b")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(name))
    return children


def tree_of(root_pid: int, procfs_root: Path = Path("/proc")) -> set[int]:
    """Return ``root_pid`` and all of its descendants alive now."""
    children = _children_map(procfs_root)
    found = {root_pid}
    todo = [root_pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie has ended: it only waits for its parent to reap it
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
        return raw[raw.rfind(b")") + 2 : raw.rfind(b")") + 3] != b"Z"
    except OSError:
        return True


def _signal_all(pids: set[int], pgid: int | None, sig: int) -> None:
    if pgid is not None:
        try:
            os.killpg(pgid, sig)
        except OSError:
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass


def cgroup_pids(cgroups: list[str]) -> set[int]:
    """Return the processes in the cgroup directories ``cgroups`` now."""
    found: set[int] = set()
    for path in cgroups:
        try:
            with open(f"{path}/cgroup.procs", "rb") as f:
                found.update(int(p) for p in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def _kill_cgroups(cgroups: list[str]) -> None:
    """SIGKILL every process of ``cgroups``: ``cgroup.kill`` where there, else one by one."""
    for path in cgroups:
        try:
            with open(f"{path}/cgroup.kill", "wb") as f:
                f.write(b"1")
        except OSError:
            _signal_all(cgroup_pids([path]), None, signal.SIGKILL)


def _remove_cgroups(cgroups: list[str], *, wait_s: float = 1.0) -> None:
    deadline = time.monotonic() + wait_s
    for path in cgroups:
        while True:
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)


def end_tree(
    root_pid: int,
    pgid: int | None,
    *,
    grace_s: float = DEFAULT_GRACE_S,
    cgroups: list[str] | None = None,
) -> None:
    """SIGTERM the tree of ``root_pid`` (and group ``pgid``), then SIGKILL what is left.

    With ``cgroups`` (the command's own cgroups), the tree is their processes.
    """
    cgroups = cgroups or []
    pids = cgroup_pids(cgroups) if cgroups else tree_of(root_pid)
    _signal_all(pids, pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if cgroups:
            pids = cgroup_pids(cgroups)
        else:
            pids |= tree_of(root_pid) if _alive(root_pid) else set()
        if not any(_alive(p) for p in pids):
            _remove_cgroups(cgroups)
            return
        time.sleep(0.05)
    _signal_all(pids, pgid, signal.SIGKILL)
    _kill_cgroups(cgroups)
    _remove_cgroups(cgroups)


class Watchdog:
    """A forked process that ends the command's tree if wattprint dies.

    Args:
        grace_s: time between SIGTERM and SIGKILL. Units: s.
    """

    def __init__(self, *, grace_s: float = DEFAULT_GRACE_S) -> None:
        self.grace_s = grace_s
        self.pid: int | None = None
        self._write_fd: int | None = None

    def start(self) -> bool:
        """Fork the watchdog; return False where it cannot be (no fork, no pipe)."""
        if not hasattr(os, "fork"):
            return False
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return False
        with warnings.catch_warnings():  # Python 3.12+ warns about fork with threads
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                pid = os.fork()
            except OSError:
                os.close(read_fd)
                os.close(write_fd)
                return False
        if pid == 0:  # pragma: no cover - runs in the forked watchdog
            os.close(write_fd)
            self._watch(read_fd)
        os.close(read_fd)
        os.set_inheritable(write_fd, False)
        self.pid, self._write_fd = pid, write_fd
        return True

    def guard(self, root_pid: int, pgid: int | None, cgroups: list[str] | None = None) -> None:
        """Tell the watchdog which tree to end: the command, its process group, its cgroups."""
        if self._write_fd is not None:
            lines = [f"{root_pid} {pgid if pgid is not None else -1}", *(cgroups or [])]
            os.write(self._write_fd, ("\n".join(lines) + "\n").encode())

    def release(self) -> None:
        """Let the watchdog go once the command ended normally, and reap it."""
        if self._write_fd is None or self.pid is None:
            return
        try:
            os.write(self._write_fd, _DONE)
        except OSError:
            pass
        os.close(self._write_fd)
        self._write_fd = None
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def _watch(self, read_fd: int) -> None:  # pragma: no cover - runs in the forked watchdog
        code = 0
        try:
            os.setsid()  # out of wattprint's process group and terminal
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_IGN)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1):
                os.dup2(devnull, fd)
            data = b""
            while True:
                chunk = os.read(read_fd, 256)
                if not chunk:
                    break
                data += chunk
            if not data.endswith(_DONE):
                lines = data.split(b"\n")
                first = lines[0].split()
                if len(first) == 2:
                    root_pid, pgid = int(first[0]), int(first[1])
                    cgroups = [line.decode() for line in lines[1:] if line.startswith(b"/")]
                    end_tree(
                        root_pid,
                        pgid if pgid > 0 else None,
                        grace_s=self.grace_s,
                        cgroups=cgroups,
                    )
        except BaseException:  # noqa: BLE001 - the watchdog must always exit quietly
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)

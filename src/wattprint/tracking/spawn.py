"""Start the command of ``wattprint run``: in its cgroup, in its process group, early.

The command joins its cgroup itself, between its fork and its exec. The first
move into a new cgroup waits for the kernel (an RCU grace period of the
cgroup's thread-group lock: 8-22 ms seen on a 2-CPU VM), so the command is
forked *early*, from a thread of its own, and held before its exec until
wattprint has probed the machine: the wait and the probe overlap, and the
command still starts only once the probe is done (nothing of it is missed).

The thread that forks the command lives as long as the command is watched:
``PR_SET_PDEATHSIG`` fires when the forking *thread* ends, not only the
process. It blocks SIGINT and SIGTERM, so a signal sent to wattprint still
reaches the thread that passes it on; the command gets the signal mask
wattprint started with back before its exec.

The code that runs in the child between fork and exec only makes system
calls (``write``, ``read``, ``setpgrp``, ``prctl``, ``pthread_sigmask``),
as a child of a threaded process must.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence

from wattprint.tracking.cgroup import RunCgroup

PR_SET_PDEATHSIG = 1
"""prctl(2) option: the signal a process gets when its parent dies (Linux)."""

HELD = (signal.SIGINT, signal.SIGTERM)
"""Signals the forking thread blocks (they go to the thread that passes them on)."""


def _own_group_dying_with_parent() -> Callable[[], None]:
    """Return the child's step that takes a process group of its own and ends with wattprint.

    Out of wattprint's group, a supervisor's kill of that group would miss the
    command; SIGTERM on wattprint's death keeps it from being left behind. The
    ``prctl`` call is found here, in the parent: the child only calls it
    between its fork and its exec. It is the C extension's where it was built
    (loading :mod:`ctypes` for it costs several milliseconds of a short run).
    """
    die_with_parent: Callable[[int], object] | None = None
    if sys.platform.startswith("linux"):
        try:
            from wattprint.tracking._ticks import die_with_parent
        except ImportError:
            import ctypes

            prctl = ctypes.CDLL(None, use_errno=True).prctl

            def die_with_parent(signum: int) -> object:
                return prctl(PR_SET_PDEATHSIG, signum)

    def step() -> None:  # pragma: no cover - runs in the child
        os.setpgrp()
        if die_with_parent is not None:
            die_with_parent(signal.SIGTERM)

    return step


def _steps(cgroup: RunCgroup | None, own_group: bool) -> list[Callable[[], None]]:
    steps: list[Callable[[], None]] = []
    if cgroup is not None:
        steps.append(cgroup.join_from_child)
    if own_group:
        steps.append(_own_group_dying_with_parent())
    return steps


def _popen(command: Sequence[str], steps: list[Callable[[], None]]) -> subprocess.Popen[bytes]:
    if not steps:
        return subprocess.Popen(list(command))

    def preexec() -> None:  # pragma: no cover - runs in the child
        for step in steps:
            step()

    return subprocess.Popen(list(command), preexec_fn=preexec)


def spawn(
    command: Sequence[str], *, own_group: bool, cgroup: RunCgroup | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` now, in a process group of its own if ``own_group``, in ``cgroup``.

    For a caller with no other thread running (the pre-exec steps run in the child).
    """
    return _popen(command, _steps(cgroup, own_group))


class EarlySpawn:
    """Fork ``command`` now, in a thread, and let it run when :meth:`release` is called.

    Args:
        command: the command and its arguments.
        own_group: give it a process group of its own (and SIGTERM on wattprint's death).
        cgroup: the cgroup it joins before it runs (prepared with ``prepare_join``).

    Use as a context manager: on leaving, a command never released is not run
    (it ends before its exec), and the forking thread ends once the command
    was waited for.
    """

    def __init__(
        self, command: Sequence[str], *, own_group: bool, cgroup: RunCgroup | None
    ) -> None:
        self._command = list(command)
        self._cgroup, self._own_group = cgroup, own_group  # steps found in the thread
        # One byte tells the held child to run ("g") or to end without running.
        self._go_read, self._go_write = os.pipe()  # both closed in the child at its exec
        self._started = threading.Event()
        self._end = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._released = False
        self._error: BaseException | None = None
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self._thread = threading.Thread(target=self._fork, name="wattprint-spawn", daemon=True)

    def __enter__(self) -> EarlySpawn:
        self._thread.start()
        return self

    def _wait_for_go(self) -> None:  # pragma: no cover - runs in the child
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)
        if os.read(self._go_read, 1) != b"g":
            os._exit(127)  # wattprint gave up before the command was to run

    def _fork(self) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        try:
            steps = _steps(self._cgroup, self._own_group)  # (prctl's lookup loads ctypes)
            self._child = _popen(self._command, [*steps, self._wait_for_go])
        except BaseException as err:  # handed to the caller of release()
            self._error = err
        finally:
            self._started.set()
        self._end.wait()  # PR_SET_PDEATHSIG: this thread is the command's parent

    def release(self) -> subprocess.Popen[bytes]:
        """Let the command run; return its process once it was exec'd.

        Raises:
            OSError: the command could not be started (not found, not executable...).
        """
        self._released = True
        os.write(self._go_write, b"g")
        self._started.wait()
        if self._error is not None:
            raise self._error
        assert self._child is not None
        return self._child

    def __exit__(self, *exc: object) -> None:
        if not self._released:  # a command never released ends before its exec
            os.write(self._go_write, b"x")
            self._started.wait()
            if self._child is not None:
                self._child.wait()
        # Ending the thread sends a command still running SIGTERM (PR_SET_PDEATHSIG),
        # as wattprint's own end would a moment later.
        self._end.set()
        self._thread.join()
        os.close(self._go_read)
        os.close(self._go_write)


__all__ = ["EarlySpawn", "PR_SET_PDEATHSIG", "spawn"]

"""Run a command under a tracker: signals passed on, exit code kept.

The command inherits stdin, stdout and stderr. SIGTERM is always passed on
to it, and the command gets each SIGINT exactly once:

* with a controlling terminal, the command stays in wattprint's process
  group, so job control (Ctrl-C, Ctrl-Z, reading the terminal) works as
  without wattprint. A Ctrl-C already reaches the whole foreground group,
  the command included, and sending it twice would make many programs abort
  their own clean-up, so SIGINT is passed on only when it did not come from
  the terminal. The sender is told apart with ``sigwaitinfo``, whose
  ``si_code`` is ``SI_KERNEL`` for the terminal and ``SI_USER`` for
  ``kill``. (A ``kill`` aimed at the whole foreground group looks like one
  aimed at wattprint alone, so the command then gets it twice.)
* without one (CI, batch jobs, services), the command gets a process group of
  its own and every SIGINT is passed on: a signal sent to wattprint's group,
  as supervisors send it, then reaches the command once, through wattprint.
  Signals other than SIGINT and SIGTERM sent to that group do not reach it,
  so the command is asked to end (SIGTERM, Linux ``PR_SET_PDEATHSIG``) when
  wattprint itself dies.

Where the machine allows it, the command runs in a cgroup of its own
(:mod:`wattprint.tracking.cgroup`), which it joins before it runs: its tree
is then read in one file, and the watchdog ends it exactly if wattprint is
killed. The cgroup is removed at the end.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from wattprint.errors import WattprintError
from wattprint.tracking.cgroup import CgroupTree, RunCgroup, create_run_cgroup
from wattprint.tracking.spawn import EarlySpawn, spawn
from wattprint.tracking.watchdog import Watchdog

if TYPE_CHECKING:
    from wattprint.results import RunResult
    from wattprint.tracking.tracker import Tracker

SI_KERNEL = 0x80
"""``si_code`` of a signal raised by the kernel (e.g. the terminal's Ctrl-C)."""

FORWARDED = (signal.SIGINT, signal.SIGTERM)


def _has_terminal() -> bool:
    """Tell whether this process has a controlling terminal."""
    if os.name != "posix":
        return True  # no process groups to choose: keep the default
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _make_cgroup() -> RunCgroup | None:
    """Make the command's cgroup, ready to be joined; None where the machine does not allow it."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        cgroup = create_run_cgroup()
        if cgroup is not None:
            cgroup.prepare_join()
        return cgroup
    except OSError:  # a cgroup that cannot be made is not an error
        return None


def _cgroup_tree(cgroup: RunCgroup | None, pid: int) -> CgroupTree | None:
    """Return the tree read from ``cgroup`` if ``pid`` is in it (joined now if not)."""
    if cgroup is None:
        return None
    cgroup.close_join()
    if pid in cgroup.pids() or cgroup.join(pid):
        return CgroupTree(cgroup, pid)
    return None


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class _Forwarder:
    """Pass SIGINT and SIGTERM on to the child while it runs.

    Args:
        child: the command's process.
        own_group: the child has a process group of its own, so no signal
            reaches it but through wattprint: pass every SIGINT on.
    """

    def __init__(self, child: subprocess.Popen[bytes], *, own_group: bool) -> None:
        self.child = child
        self.own_group = own_group
        self.received: list[int] = []
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._old: dict[int, object] = {}

    def __enter__(self) -> _Forwarder:
        if hasattr(signal, "sigwaitinfo") and hasattr(signal, "pthread_kill"):
            signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
            self._thread = threading.Thread(
                target=self._wait, name="wattprint-signals", daemon=True
            )
            self._thread.start()
        else:  # no siginfo: pass every signal on
            for sig in FORWARDED:
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def _send(self, sig: int) -> None:
        if self.child.poll() is None:
            try:
                self.child.send_signal(sig)
            except ProcessLookupError:
                pass

    def _handler(self, sig: int, frame: object) -> None:
        self.received.append(sig)
        self._send(sig)

    def _wait(self) -> None:
        while True:
            info = signal.sigwaitinfo(FORWARDED)
            if self._done.is_set():
                return  # woken by __exit__: the command has ended
            self.received.append(info.si_signo)
            if self.own_group or info.si_signo == signal.SIGTERM or info.si_code != SI_KERNEL:
                self._send(info.si_signo)

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            if self._thread.ident is not None and self._thread.is_alive():
                signal.pthread_kill(self._thread.ident, signal.SIGTERM)  # wakes it at once
            self._thread.join()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]


BUDGET_GRACE_S = 10.0
"""Time a command stopped by its budget gets after SIGINT before SIGTERM. Units: s."""


def _signal_command(child: subprocess.Popen[bytes], sig: int, *, own_group: bool) -> None:
    try:
        if own_group:
            os.killpg(child.pid, sig)
        else:
            child.send_signal(sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(child: subprocess.Popen[bytes], tracker: Tracker, *, own_group: bool) -> int:
    """Wait for the command; with ``on_budget="stop"``, end it once its budget is passed.

    The budget is checked every second (a cheap reading). Once it is passed
    the command gets SIGINT (its group, when it has one), then SIGTERM after
    :data:`BUDGET_GRACE_S`.
    """
    if not tracker.stops_on_budget:
        return child.wait()
    asked_at: float | None = None
    termed = False
    while True:
        try:
            return child.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        if asked_at is None:
            if tracker.budget_reached():
                print(f"wattprint: {tracker.budget_message()}; stopping the command (SIGINT)",
                      file=sys.stderr)  # fmt: skip
                _signal_command(child, signal.SIGINT, own_group=own_group)
                asked_at = time.monotonic()
        elif not termed and time.monotonic() - asked_at > BUDGET_GRACE_S:
            _signal_command(child, signal.SIGTERM, own_group=own_group)
            termed = True


class _NowStarter:
    """The command started at :meth:`release`, where no cgroup join makes an early fork pay."""

    def __init__(
        self, command: Sequence[str], *, own_group: bool, cgroup: RunCgroup | None
    ) -> None:
        self._args = (command, own_group, cgroup)

    def __enter__(self) -> _NowStarter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def release(self) -> subprocess.Popen[bytes]:
        command, own_group, cgroup = self._args
        return spawn(command, own_group=own_group, cgroup=cgroup)


def _starter(
    command: Sequence[str], *, own_group: bool, cgroup: RunCgroup | None
) -> EarlySpawn | _NowStarter:
    """Fork early (in a thread) where the command joins a cgroup, whose first join waits."""
    if cgroup is not None and hasattr(signal, "pthread_sigmask"):
        return EarlySpawn(command, own_group=own_group, cgroup=cgroup)
    return _NowStarter(command, own_group=own_group, cgroup=cgroup)


def _started(starter: EarlySpawn | _NowStarter, command: Sequence[str]) -> subprocess.Popen[bytes]:
    """Let the command run; its start errors as :class:`WattprintError`."""
    try:
        return starter.release()
    except FileNotFoundError as err:
        raise WattprintError(f"command not found: {command[0]!r}") from err
    except PermissionError as err:
        raise WattprintError(f"command cannot be run (permission denied): {command[0]!r}") from err
    except OSError as err:
        raise WattprintError(f"command {command[0]!r} cannot be started: {err}") from err


def run_tracked(
    tracker: Tracker, command: Sequence[str], started: Callable[[], None] | None = None
) -> tuple[int, RunResult | None]:
    """Run ``command`` tracked by ``tracker``; return its exit code and the result.

    ``started`` is called once the command runs and the tracker has started.

    The exit code is the command's own, or 128 + N when signal N ended it
    (as shells report it).

    Raises:
        WattprintError: the command cannot be started (not found: the
            message says so); nothing was measured then.
    """
    watchdog = Watchdog()
    watchdog.start()  # forked first, before any thread of ours runs
    cgroup = _make_cgroup()
    own_group = not _has_terminal()
    try:
        with _starter(command, own_group=own_group, cgroup=cgroup) as starter:
            _ = tracker.discovery  # probe before the command starts, so nothing is missed
            cpu_before = _children_cpu_s()
            child = _started(starter, command)
            # With a terminal the command shares the job's process group with others
            # (a pipeline's other commands): then only its own tree is ended.
            tree = _cgroup_tree(cgroup, child.pid)
            if tree is None and cgroup is not None:
                cgroup.remove()
                cgroup = None
            watchdog.guard(
                child.pid,
                child.pid if own_group else None,
                [d.path for d in cgroup.dirs] if cgroup is not None else [],
            )
            tracker._follow(child.pid, root_is_new=True, cgroup=tree)
            with _Forwarder(child, own_group=own_group) as forwarder:
                tracker.start()
                if started is not None:
                    started()
                returncode = _wait(child, tracker, own_group=own_group)
                # Stop while signals are still held: the run ends when the command
                # does (not when the signal thread notices), and a late SIGTERM
                # cannot kill wattprint before the row is written.
                tracker.note_reaped_cpu(_children_cpu_s() - cpu_before)
                interrupted = bool(forwarder.received) or returncode < 0
                result = tracker.stop("interrupted" if interrupted else "completed")
    finally:
        watchdog.release()
        if cgroup is not None:
            cgroup.close_join()
            cgroup.remove()
    code = 128 - returncode if returncode < 0 else returncode
    return code, result


__all__ = ["run_tracked", "WattprintError"]

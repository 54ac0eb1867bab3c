"""Finish a run when the process is told to stop, or exits without stopping it.

While a tracker runs, an :class:`ExitGuard` makes sure its run is written:

* SIGTERM (a scheduler or ``kill``): the run is stopped as ``interrupted``,
  then the signal goes on to what handled it before: the user's own handler,
  or the default action (the process ends with SIGTERM, as it would have);
  an ignored SIGTERM stays ignored and the run goes on;
* SIGINT (Ctrl-C): noted, then handed to the previous handler (Python's
  raises KeyboardInterrupt), so ``with Tracker()`` ends the run as
  ``interrupted``, and a program that catches it carries on;
* interpreter exit with the run still going (``atexit``): the run is
  stopped, ``interrupted`` if a SIGINT was seen or the program ended on an
  exception nobody caught (a training loop whose framework has no error hook,
  as Keras's), else ``completed``.

Signal handlers can only be set from the main thread; elsewhere only the
exit hook is used.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from wattprint._log import logger

if TYPE_CHECKING:
    from wattprint.results import Status
    from wattprint.tracking.journal import Journal



@runtime_checkable
class _FileOutput(Protocol):
    """An output that writes rows to a file recovery can complete (CSV, JSON lines)."""

    name: str
    path: Path


class ExitGuard:
    """Call ``finish(status)`` once when the process is stopped or exits."""

    def __init__(self, finish: Callable[[Status], object]) -> None:
        self._finish = finish
        self._previous: dict[int, Any] = {}
        self.interrupted = False
        self._installed = False
        self._last_seen: object = None

    def install(self) -> None:
        """Set the signal handlers (main thread only) and the exit hook."""
        if self._installed:
            return
        self._installed = True
        self.interrupted = False
        # The interpreter keeps the exception that ended the program in
        # sys.last_value before the exit hooks run; one already there is older.
        self._last_seen = getattr(sys, "last_value", None)
        atexit.register(self._at_exit)
        if threading.current_thread() is not threading.main_thread():
            return
        import signal  # here: its import builds three enums, a few hundred µs

        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
            except (ValueError, OSError):  # not allowed here: keep the exit hook only
                self._previous.pop(sig, None)

    def uninstall(self) -> None:
        """Put back the previous handlers (where ours is still the one set)."""
        if not self._installed:
            return
        self._installed = False
        atexit.unregister(self._at_exit)
        import signal

        for sig, previous in self._previous.items():
            try:
                if signal.getsignal(sig) == self._handle:
                    signal.signal(sig, previous)
            except (ValueError, OSError):
                pass
        self._previous.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        import signal

        previous = self._previous.get(signum, signal.SIG_DFL)
        if previous == signal.SIG_IGN:
            return
        if signum == signal.SIGINT:
            self.interrupted = True
        else:
            self._finish("interrupted")
            self.uninstall()
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def _at_exit(self) -> None:
        uncaught = getattr(sys, "last_value", None)
        failed = uncaught is not None and uncaught is not self._last_seen
        self._finish("interrupted" if self.interrupted or failed else "completed")


class RunSafety:
    """The crash safety of one tracker: recovery, journal, exit guard.

    Args:
        finish: stops the run with a status (from a signal handler or at exit).
        handle_signals: set the signal handlers (the CLI handles signals itself).
    """

    def __init__(self, finish: Callable[[Status], object], *, handle_signals: bool) -> None:
        self._guard = ExitGuard(finish)
        self._handle_signals = handle_signals
        self._journal: Journal | None = None
        self._warned = False
        self._lock = threading.Lock()

    def begin(self, run_id: str, output_dir: Path, sinks: Sequence[object]) -> None:
        """Recover crashed runs of ``output_dir``, open this run's journal, guard the exit."""
        outputs = tuple(
            (sink.name, os.path.abspath(sink.path))  # recovery may run from elsewhere
            for sink in sinks
            if isinstance(sink, _FileOutput) and sink.name in ("csv", "jsonl")
        )
        self._journal = None
        self._warned = False
        if outputs:
            from wattprint.tracking.journal import JOURNAL_DIR, Journal
            from wattprint.tracking.recovery import recover

            try:
                recover(output_dir)
            except Exception as err:  # recovering old runs must never stop a new one
                logger.warning("wattprint: recovering earlier runs failed: %s", err)
            self._journal = Journal(output_dir / JOURNAL_DIR, run_id, outputs)
        if self._handle_signals:
            self._guard.install()

    @property
    def journaling(self) -> bool:
        """True when this run has a journal to write checkpoints to."""
        return self._journal is not None

    def checkpoint(self, result: dict[str, Any], *, run_id: str) -> None:
        """Write run ``run_id`` so far; a failure is logged once and the run goes on.

        Nothing is written once the run has ended (or for another run's id),
        so a late checkpoint never brings back a journal that ``end`` removed.
        """
        with self._lock:
            journal = self._journal
            if journal is None or journal.run_id != run_id:
                return
            try:
                journal.write(result)
            except OSError as err:
                self._warn_journal(journal, err)

    def _warn_journal(self, journal: Journal, err: OSError) -> None:
        if not self._warned:
            self._warned = True
            logger.warning(
                "wattprint: the checkpoint journal %s cannot be written (%s); a crash "
                "would lose this run",
                journal.path,
                err,
            )

    def end(self) -> None:
        """After the outputs were written: drop the journal, lift the guard."""
        with self._lock:
            if self._journal is not None:
                self._journal.remove()
            self._journal = None
        self._guard.uninstall()

"""The ``wattprint`` logger's handler: warnings reach the user while no logging is set up.

Put on the logger by :mod:`wattprint._log` when wattprint first logs.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import warnings

from wattprint.errors import WattprintWarning


class LogBridge(logging.NullHandler):
    """The ``wattprint`` logger's handler: silent once logging is configured.

    While no handler is configured on the ``wattprint`` logger's chain (the
    root logger included), a warning or an error becomes a Python warning of
    category :class:`WattprintWarning` (shown once per message by Python's
    default filters), and a record below WARNING, which only passes when the
    ``log_level`` setting lowered the logger's level, is printed to stderr as
    CodeCarbon prints its own. Once an application configures logging, its
    handlers show the records and this one does nothing. A warnings filter
    set to ``"error"`` prints the warning instead of raising it into the
    tracker (tracking never breaks the program); ``"ignore"`` silences it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[str] = set()

    def handle(self, record: logging.LogRecord) -> bool:
        """Pass ``record`` on to :mod:`warnings` or stderr when nothing else shows it."""
        if _logging_configured(logging.getLogger(record.name), self):
            return False
        message = record.getMessage()
        if record.levelno >= logging.WARNING:
            with self.lock or _NO_LOCK:
                if message in self._seen:
                    return True  # once per message, whatever resets the warnings registry
                self._seen.add(message)
            try:
                warnings.warn(message, WattprintWarning, stacklevel=_outside_levels())
            except Warning:  # a filter made it an error: tracking must go on, so say it
                print(f"WattprintWarning: {message}", file=sys.stderr)
        else:
            print(f"[wattprint {record.levelname}] {message}", file=sys.stderr)
        return True


_NO_LOCK = contextlib.nullcontext()


def _outside_levels() -> int:
    """Return the ``stacklevel`` of the first caller outside wattprint and logging."""
    package = __file__.rsplit("/", 1)[0]
    frame = sys._getframe(2)  # the caller of LogBridge.handle, stacklevel 2
    level = 2
    while frame is not None and frame.f_back is not None:
        name = frame.f_code.co_filename
        if not (name.startswith(package) or name == logging.__file__):
            return level
        frame = frame.f_back
        level += 1
    return level


def _logging_configured(log: logging.Logger, bridge: logging.Handler) -> bool:
    """Tell whether any handler but ``bridge`` and null ones is on ``log``'s chain."""
    current: logging.Logger | None = log
    while current is not None:
        for handler in current.handlers:
            if handler is not bridge and type(handler) is not logging.NullHandler:
                return True
        if not current.propagate:
            return False
        current = current.parent
    return False

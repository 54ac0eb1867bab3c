"""The command line's log handler: the library's warnings on stderr.

Kept apart so that :mod:`logging` is loaded only when something is logged
(see :func:`wattprint._log.when_made`).
"""

from __future__ import annotations

import logging
import sys


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever ``sys.stderr`` is at each record (tests swap it)."""

    @property
    def stream(self) -> object:
        """The ``sys.stderr`` of the moment."""
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def to_stderr(log: logging.Logger) -> None:
    """Put a :class:`StderrHandler` on ``log`` (once) and show warnings where no level is set."""
    if not any(isinstance(h, StderrHandler) for h in log.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.WARNING)

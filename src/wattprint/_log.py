"""wattprint's loggers, made on first use.

Importing :mod:`logging` costs a few milliseconds (it pulls in ``traceback``,
``string``, ``weakref`` ...), and a run that never logs anything need not pay
them: ``import wattprint``, a constructor, ``start()`` and ``stop()`` usually
log nothing. Modules therefore take their logger from here::

    from wattprint._log import logger

``logger`` stands for ``logging.getLogger("wattprint")``: the first attribute
read (``logger.warning`` ...) imports :mod:`logging`, makes the real logger and
puts :class:`~wattprint.log_bridge.LogBridge` on it (again if it was taken
off), so a warning becomes a :class:`~wattprint.errors.WattprintWarning` while
no logging is configured. :func:`set_level` sets the logger's level without
loading anything before it is needed.
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from wattprint.log_bridge import LogBridge

_lock = threading.Lock()
_bridge: LogBridge | None = None
_level: int | None = None  # set before the logger was made
_when_made: list[Callable[[logging.Logger], None]] = []  # set-ups waiting for the logger


def wattprint_logger(name: str = "wattprint") -> logging.Logger:
    """Return the logger ``name`` (``wattprint`` or below it), the bridge on ``wattprint``."""
    import logging

    global _bridge, _level
    root = logging.getLogger("wattprint")
    with _lock:
        if _bridge is None:
            from wattprint.log_bridge import LogBridge

            _bridge = LogBridge()
        if _bridge not in root.handlers:
            root.addHandler(_bridge)
        if _level is not None:
            root.setLevel(_level)
            _level = None
        setups = list(_when_made)
        _when_made.clear()
    for setup in setups:
        setup(root)
    return root if name == "wattprint" else logging.getLogger(name)


def when_made(setup: Callable[[logging.Logger], None]) -> None:
    """Call ``setup`` with the ``wattprint`` logger when it is made (now, if it was).

    The command line puts its stderr handler on this way: a command that logs
    nothing never loads :mod:`logging`.
    """
    if "logging" in sys.modules:
        setup(wattprint_logger())
        return
    with _lock:
        _when_made.append(setup)


def set_level(level: int) -> None:
    """Set the ``wattprint`` logger's level (now if it was made, else when it is)."""
    global _level
    if "logging" in sys.modules:
        wattprint_logger().setLevel(level)
    else:
        with _lock:
            _level = level


class _Logger:
    """Stands for a logger until it is first used (see the module's docstring)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attribute: str) -> Any:
        return getattr(wattprint_logger(self._name), attribute)


def get(name: str) -> logging.Logger:
    """Return a stand-in for the logger ``name`` (below ``wattprint``), made on first use."""
    return cast("logging.Logger", _Logger(name))


logger = get("wattprint")
"""The ``wattprint`` logger (a stand-in until first used)."""

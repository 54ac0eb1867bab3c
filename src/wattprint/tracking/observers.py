"""Observers: whatever wants to hear of a run while it goes on.

An observer is told four things, in this order: that a run started
(:meth:`Observer.on_start`), its figures so far at each checkpoint
(:meth:`Observer.on_checkpoint`), each task that ends
(:meth:`Observer.on_task_end`), and the finished run
(:meth:`Observer.on_stop`). Sinks (files, Prometheus, webhooks, the team
server) and the framework integrations are observers. A plain
:class:`~wattprint.sinks.base.Sink` that only has ``write(result)`` is an
observer of the finished run alone.

The protocol and :class:`RunStart` are declared in :mod:`wattprint.sinks.base`,
the lowest layer that implements them. The dispatcher, :class:`Observers`, is
the firewall between them and the user's program: an observer that raises is
logged once per observer and hook (its later failures at DEBUG level), and the
others are still told. Nothing raises out of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from wattprint._log import logger
from wattprint.errors import ConfigError
from wattprint.sinks.base import Observer, RunStart, Sink

if TYPE_CHECKING:
    from wattprint.results import RunResult, TaskResult


class _SinkObserver:
    """A :class:`Sink` seen as an observer of the finished run only."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.name = sink.name

    def on_start(self, run: RunStart) -> None:
        """Ignore the start."""

    def on_checkpoint(self, interim: RunResult) -> None:
        """Ignore checkpoints."""

    def on_task_end(self, task: TaskResult) -> None:
        """Ignore tasks."""

    def on_stop(self, result: RunResult) -> None:
        """Write the finished run."""
        self.sink.write(result)


def as_observer(item: object) -> Observer:
    """Return ``item`` as an observer: itself, or a sink wrapped to hear the end only.

    Raises:
        ConfigError: ``item`` is neither an observer nor a sink.
    """
    if isinstance(item, Observer):
        return item
    if isinstance(item, Sink):
        return _SinkObserver(item)
    raise ConfigError(
        "sinks",
        item,
        "an object with a 'name' and write(result), or the observer methods "
        "on_start, on_checkpoint, on_task_end and on_stop",
    )


class Observers:
    """Tell every observer, never raising; each failure is logged once.

    Args:
        items: observers, or sinks (wrapped to hear the finished run).

    Raises:
        ConfigError: an item is neither an observer nor a sink.
    """

    def __init__(self, items: Iterable[object] = ()) -> None:
        self._items: list[Observer] = [as_observer(item) for item in items]
        self._warned: set[tuple[str, str]] = set()

    def add(self, item: object) -> Observer:
        """Add an observer (or a sink) and return it as an observer.

        Raises:
            ConfigError: ``item`` is neither an observer nor a sink.
        """
        observer = as_observer(item)
        self._items.append(observer)
        return observer

    @property
    def items(self) -> tuple[Observer, ...]:
        """The observers, in the order they are told."""
        return tuple(self._items)

    @property
    def sinks(self) -> tuple[object, ...]:
        """The objects as given: sinks unwrapped, observers as they are."""
        return tuple(o.sink if isinstance(o, _SinkObserver) else o for o in self._items)

    @property
    def want_checkpoints(self) -> bool:
        """True when an observer listens to checkpoints (a plain sink does not)."""
        return any(not isinstance(o, _SinkObserver) for o in self._items)

    def start(self, run: RunStart) -> None:
        """Tell every observer that ``run`` started."""
        for observer in self._items:
            self._call(observer, "on_start", lambda o=observer: o.on_start(run))

    def checkpoint(self, interim: RunResult) -> None:
        """Give every observer the run's figures so far."""
        for observer in self._items:
            if not isinstance(observer, _SinkObserver):
                self._call(observer, "on_checkpoint", lambda o=observer: o.on_checkpoint(interim))

    def task_end(self, task: TaskResult) -> None:
        """Tell every observer that ``task`` ended."""
        for observer in self._items:
            if not isinstance(observer, _SinkObserver):
                self._call(observer, "on_task_end", lambda o=observer: o.on_task_end(task))

    def stop(self, result: RunResult) -> list[tuple[str, str]]:
        """Give every observer the finished run; return ``(name, error)`` for each failure."""
        failed: list[tuple[str, str]] = []
        for observer in self._items:
            try:
                observer.on_stop(result)
            except Exception as err:  # an output must never break the user's program
                failed.append((observer.name, str(err) or type(err).__name__))
        return failed

    def _call(self, observer: Observer, hook: str, call: _Call) -> None:
        try:
            call()
        except Exception as err:  # an observer must never break the user's program
            key = (observer.name, hook)
            if key in self._warned:
                logger.debug("wattprint: observer %s failed in %s again: %r", *key, err)
                return
            self._warned.add(key)
            logger.warning(
                "wattprint: observer %s failed in %s (%s); it is skipped there, the run goes on",
                observer.name,
                hook,
                str(err) or type(err).__name__,
            )


class _Call(Protocol):
    def __call__(self) -> None: ...


__all__ = ["Observer", "Observers", "RunStart", "as_observer"]

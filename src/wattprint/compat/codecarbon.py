"""CodeCarbon 3.3.2's public interface, measured by wattprint: switch in one line.

Replace ``from codecarbon import EmissionsTracker`` by::

    from wattprint.compat.codecarbon import EmissionsTracker

and the code runs unchanged: :class:`EmissionsTracker`,
:class:`OfflineEmissionsTracker`, :func:`track_emissions`, :class:`OutputMethod`,
the task API (``start_task``, ``stop_task`` returning an :class:`EmissionsData`),
``flush()``, ``stop()`` returning the emissions in kg as a float, and
``final_emissions_data``, with CodeCarbon's keywords and defaults (machine
mode, project ``codecarbon``, experiment ``base``, each used only when no
argument, variable or config file sets it). Each keyword is mapped to
wattprint's setting of the same meaning (see :mod:`wattprint.settings.schema`);
a value wattprint cannot honour is accepted with one warning naming it and
saying why, and an unknown keyword is a ``TypeError`` naming the closest one.

The rows are wattprint's (CodeCarbon's 38 columns, then wattprint's own);
tasks are also written as CodeCarbon writes them, to
``emissions_<experiment>_<run id>.csv``. wattprint's own tracker, for what
CodeCarbon does not have, is :attr:`EmissionsTracker.tracker`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from types import TracebackType
from typing import Any, ClassVar

from wattprint._log import wattprint_logger
from wattprint.compat._emissions_data import (
    EmissionsData,
    OutputMethod,
    emissions_data_of,
    task_emissions_data,
    write_task_file,
)
from wattprint.compat._keywords import (
    CODECARBON_DEFAULTS,
    DECORATOR_PARAMETERS,
    OFFLINE_PARAMETERS,
    PARAMETERS,
    bind,
    translate,
)
from wattprint.errors import ConfigError
from wattprint.results import RunResult
from wattprint.sinks.csv_file import CsvSink
from wattprint.tracking.tracker import Tracker

__all__ = [
    "EmissionsData",
    "EmissionsTracker",
    "OfflineEmissionsTracker",
    "OutputMethod",
    "track_emissions",
]

__version__ = "3.3.2"
"""The CodeCarbon release whose interface this module follows."""

logger = wattprint_logger()


@contextmanager
def _quiet_here() -> Iterator[None]:
    """Hold back the wattprint logger's records from this thread (a trial resolve)."""
    here = threading.get_ident()

    def drop(record: logging.LogRecord) -> bool:
        return record.thread != here

    log = wattprint_logger()
    log.addFilter(drop)
    try:
        yield
    finally:
        log.removeFilter(drop)


def _codecarbon_defaults(args: Mapping[str, object]) -> dict[str, object]:
    """Return CodeCarbon's defaults for the settings that nothing sets."""
    from wattprint.settings.resolve import resolve_settings
    from wattprint.settings.schema import by_name

    missing = [k for k in CODECARBON_DEFAULTS if k not in args]
    if not missing:
        return {}
    known = by_name()
    try:
        with _quiet_here():
            settings = resolve_settings({k: v for k, v in args.items() if k in known})
    except ConfigError:
        return {}  # the tracker raises it, naming the value
    return {k: CODECARBON_DEFAULTS[k] for k in missing if settings.source_of(k) == "default"}


class BaseEmissionsTracker:
    """CodeCarbon's tracker interface over a :class:`wattprint.Tracker`.

    Takes CodeCarbon 3.3.2's keywords (see :mod:`wattprint.compat._keywords`).

    Raises:
        TypeError: an unknown keyword (the closest known one is named).
        ConfigError: a value that is not accepted (it names the value).
    """

    _keywords: ClassVar[tuple[str, ...]] = PARAMETERS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        values = bind(f"{type(self).__name__}.__init__", self._keywords, args, kwargs)
        translated = translate(values)
        for message in translated.warnings:
            logger.warning("wattprint: %s", message)
        tracker_args = {**_codecarbon_defaults(translated.tracker_args)}
        tracker_args.update(translated.tracker_args)
        self._handlers: list[Any] = list(translated.handlers)
        self.tracker: Tracker = self._make_tracker(tracker_args, translated.sinks)
        self._active_task: str | None = None
        self._tasks: dict[str, EmissionsData] = {}
        self._previous: EmissionsData | None = None
        self._started = False
        self.final_emissions_data: EmissionsData | None = None
        self.final_emissions: float | None = None

    def _make_tracker(self, args: Mapping[str, object], sinks: list[Any]) -> Tracker:
        """Return the wattprint tracker (tests override it to pass a clock or sources)."""
        return Tracker(**args, sinks=sinks)  # type: ignore[arg-type]

    @property
    def run_id(self) -> str:
        """The current (or last) run's id."""
        return self.tracker.run_id

    def get_detected_hardware(self) -> dict[str, Any]:
        """Return the machine as CodeCarbon describes it (``ram_total_size`` in GiB)."""
        import psutil

        from wattprint.tracking.assemble import build_host

        host = build_host(self.tracker.discovery)
        settings = self.tracker.settings
        return {
            "ram_total_size": host.ram_total_bytes / 2**30,
            "cpu_count": host.cpu_count,
            "cpu_physical_count": psutil.cpu_count(logical=False),
            "cpu_model": host.cpu_model,
            "gpu_count": host.gpu_count,
            "gpu_model": host.gpu_model,
            "gpu_ids": list(settings.gpu_ids) if settings.gpu_ids is not None else None,
        }

    def service_shutdown(self, signum: int, frame: object) -> None:
        """Stop the run from a signal handler (CodeCarbon's name)."""
        logger.warning("wattprint: service_shutdown - caught signal %d", signum)
        self.stop()

    def start(self) -> None:
        """Start tracking (a tracker already running says so and goes on)."""
        if self.tracker.running:
            logger.warning("wattprint: already started tracking")
            return
        self._tasks.clear()
        self._active_task = None
        self._previous = None
        self.tracker.start()
        self._started = True

    def start_task(self, task_name: str | None = None) -> None:
        """Start measuring the task ``task_name`` (one at a time, as in CodeCarbon)."""
        if self._active_task is not None:
            logger.warning("wattprint: a task is already under measure (%s)", self._active_task)
            return
        if not self.tracker.running:
            self.start()
        name = task_name or str(uuid.uuid4())
        if name in self._tasks:
            name += "_" + str(uuid.uuid4())
        self.tracker.start_task(name)
        self._active_task = name

    def stop_task(self, task_name: str | None = None) -> EmissionsData | None:
        """Stop the task (the active one by default) and return what it cost.

        Returns:
            the task's figures, or None (with a warning) when no task is active.
        """
        name = task_name or self._active_task
        if name is None or name != self._active_task or not self.tracker.running:
            logger.warning("wattprint: stop_task: no active task to stop")
            return None
        task = self.tracker.stop_task(name)
        run = emissions_data_of(self.tracker.flush())
        data = task_emissions_data(task, run)
        self._tasks[name] = data
        self._active_task = None
        return data

    def flush(self) -> float | None:
        """Write the run so far (a row, the task file) and return its emissions. Units: kg.

        Returns:
            the emissions so far, or None when the tracker is not running.
        """
        if not self.tracker.running:
            logger.error("wattprint: you first need to start the tracker")
            return None
        interim = self.tracker.flush()
        for sink in self.tracker.sinks:
            if isinstance(sink, CsvSink):
                self._guard(sink.name, functools.partial(sink.write, interim))
        self._persist(interim)
        return interim.emissions_kg

    def stop(self) -> float | None:
        """Stop tracking, write the run, and return its emissions. Units: kg CO2e.

        Returns:
            the row's ``emissions``; None when the tracker was never started.
        """
        if not self._started:
            logger.error("wattprint: you first need to start the tracker")
            return None
        if not self.tracker.running:
            logger.warning("wattprint: tracker already stopped")
            return self.final_emissions
        if self._active_task is not None:
            self.stop_task(self._active_task)
        result = self.tracker.stop()
        data = self._persist(result)
        self.final_emissions_data = data
        self.final_emissions = data.emissions
        for handler in self._handlers:
            if hasattr(handler, "exit"):
                self._guard(type(handler).__name__, handler.exit)
        return data.emissions

    def _persist(self, result: RunResult) -> EmissionsData:
        """Write the task file and tell CodeCarbon output handlers; return the run's data."""
        total = emissions_data_of(result)
        settings = self.tracker.settings
        if settings.save_to_file and self._tasks:
            tasks = [(n, replace(data, run_id=total.run_id)) for n, data in self._tasks.items()]
            self._guard(
                "task file",
                lambda: write_task_file(settings.output_dir, settings.experiment, tasks),
            )
        delta = _delta(total, self._previous)
        self._previous = total
        for handler in self._handlers:
            self._guard(type(handler).__name__, functools.partial(handler.out, total, delta))
        return total

    @staticmethod
    def _guard(what: str, action: Callable[[], object]) -> None:
        """Run an output's ``action``; a failure is logged, never raised into user code."""
        try:
            action()
        except Exception as err:  # an output's failure must not break the user's program
            logger.warning("wattprint: writing to %s failed: %s", what, err)

    def __enter__(self) -> BaseEmissionsTracker:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _delta(total: EmissionsData, previous: EmissionsData | None) -> EmissionsData:
    """Return what changed since ``previous``, as CodeCarbon's ``compute_delta_emission``."""
    if previous is None:
        return total
    duration = total.duration - previous.duration
    emissions = total.emissions - previous.emissions
    return replace(
        total,
        duration=duration,
        emissions=emissions,
        emissions_rate=emissions / duration if duration > 0 else 0.0,
        cpu_energy=total.cpu_energy - previous.cpu_energy,
        gpu_energy=total.gpu_energy - previous.gpu_energy,
        ram_energy=total.ram_energy - previous.ram_energy,
        energy_consumed=total.energy_consumed - previous.energy_consumed,
        water_consumed=total.water_consumed - previous.water_consumed,
    )


class EmissionsTracker(BaseEmissionsTracker):
    """CodeCarbon's ``EmissionsTracker``: the place is found as wattprint finds it."""


class OfflineEmissionsTracker(BaseEmissionsTracker):
    """CodeCarbon's ``OfflineEmissionsTracker``: the place is given, nothing is looked up.

    Adds the keyword-only ``country_iso_code``, ``region``, ``cloud_provider``,
    ``cloud_region`` and ``country_2letter_iso_code``.
    """

    _keywords: ClassVar[tuple[str, ...]] = (*PARAMETERS, *OFFLINE_PARAMETERS)


def _signature(names: tuple[str, ...], keyword_only: tuple[str, ...] = ()) -> inspect.Signature:
    """Return the class's call signature, as CodeCarbon's (None for "not given")."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    params = [inspect.Parameter(n, kind, default=None) for n in names]
    only = inspect.Parameter.KEYWORD_ONLY
    params += [inspect.Parameter(n, only, default=None) for n in keyword_only]
    return inspect.Signature(params)


EmissionsTracker.__signature__ = _signature(PARAMETERS)  # type: ignore[attr-defined]
OfflineEmissionsTracker.__signature__ = _signature(  # type: ignore[attr-defined]
    PARAMETERS, OFFLINE_PARAMETERS
)


def track_emissions(fn: Callable[..., Any] | None = None, **kwargs: Any) -> Callable[..., Any]:
    """Track each call of ``fn``, as CodeCarbon's decorator: ``@track_emissions(...)``.

    Takes ``EmissionsTracker``'s keywords, ``offline`` and the offline place
    keywords (a place keyword is honoured with or without ``offline``).

    Raises:
        TypeError: an unknown keyword (the closest known one is named).
        Exception: at a call, ``offline=True`` without a country or cloud
            provider (CodeCarbon's message and type).
    """
    values = bind("track_emissions", DECORATOR_PARAMETERS, (), kwargs)
    offline = bool(values.pop("offline", False))
    place = {k: values.pop(k) for k in OFFLINE_PARAMETERS if k in values}

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapped(*args: Any, **call_kwargs: Any) -> Any:
            if offline and place.get("country_iso_code") is None and not place.get(
                "cloud_provider"
            ):
                raise Exception("Needs ISO Code of the Country for Offline mode")  # noqa: TRY002
            tracker: BaseEmissionsTracker
            if place:
                tracker = OfflineEmissionsTracker(**values, **place)
            else:
                tracker = EmissionsTracker(**values)
            tracker.start()
            try:
                return f(*args, **call_kwargs)
            finally:
                tracker.stop()

        return wrapped

    return decorate(fn) if fn is not None else decorate

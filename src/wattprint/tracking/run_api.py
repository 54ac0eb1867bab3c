"""The parts of the tracker's public API that work on a running run: tasks, prediction, budgets.

Kept apart from :mod:`wattprint.tracking.tracker` (which holds the run's
life: settings, start, checkpoints, stop) so that each file stays small;
:class:`~wattprint.tracking.tracker.Tracker` inherits these methods.

* Tasks are named windows over the run's totals (see
  :mod:`wattprint.tracking.tasks`).
* :meth:`RunApi.predict` predicts the run's total from the progress the
  program reports (``predict(done, total)``, e.g. after each epoch), with
  :mod:`wattprint.advice.prediction`.
* Budgets (``budget_kwh=``, ``budget_kg=``, ``on_budget=``) are checked at
  each task boundary and each prediction; with ``on_budget="stop"`` the
  next task boundary raises :class:`~wattprint.errors.BudgetExceeded`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from wattprint.errors import ConfigError, WattprintError
from wattprint.units import J_PER_KWH

if TYPE_CHECKING:
    from wattprint.advice.prediction import Prediction, Progress
    from wattprint.grid.plan import GridPlan
    from wattprint.results import TaskResult
    from wattprint.tracking.active_run import ActiveRun
    from wattprint.tracking.budgets import BudgetWatch
    from wattprint.tracking.meter import Totals
    from wattprint.tracking.observers import Observers


class RunApi:
    """Tasks, prediction and budgets of the running run (mixed into ``Tracker``)."""

    _lock: threading.RLock
    _active: ActiveRun | None
    _observers: Observers
    _budgets: BudgetWatch | None
    _progress: list[Progress]
    _notes: list[str]
    grid: GridPlan

    def start(self) -> object:  # noqa: D102 - the tracker's
        raise NotImplementedError

    # -- tasks -------------------------------------------------------------

    def start_task(self, name: str) -> None:
        """Open the task ``name`` (starting the run if needed).

        Raises:
            ConfigError: a task of that name is already open.
            BudgetExceeded: a budget was passed with ``on_budget="stop"``.
        """
        with self._lock:
            if self._active is None:
                self.start()
            active = self._active
            if active is None:
                raise WattprintError("start_task() needs a running tracker")
            now = active.reading()  # one reading: the budget's, and the task's start
            self._check_budget(active, now)
            active.open_task(name, now)

    def stop_task(self, name: str) -> TaskResult:
        """Close the task ``name`` and return what it cost.

        Raises:
            ConfigError: no open task has that name.
            BudgetExceeded: a budget was passed with ``on_budget="stop"``
                (the task is closed and recorded first).
        """
        with self._lock:
            active = self._active
            if active is None:
                raise ConfigError("task", name, "the name of an open task (none)")
            active.tasks.check_open(name)
            end = active.reading()
            task = active.close_task(name, end)
            self._observers.task_end(task)
            self._check_budget(active, end)
            return task

    def task(self, name: str) -> _TaskBlock:
        """Measure the block as the task ``name``: ``with tracker.task("epoch-1"):``."""
        return _TaskBlock(self, name)

    def _end_block(self, name: str) -> None:
        with self._lock:
            active = self._active
            if active is not None and active.tasks.is_open(name):
                end = active.reading()
                active.end_task(name, end, self._observers)
                self._check_budget(active, end)

    # -- notes, budgets and prediction ----------------------------------------

    def add_note(self, text: str) -> None:
        """Keep ``text`` in the methodology notes of this tracker's runs from now on."""
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("note", text, "a non-empty sentence")
        self._notes.append(text.strip())

    @property
    def over_budget(self) -> bool:
        """True once the run passed a budget (whatever ``on_budget`` says)."""
        return self._budgets is not None and self._budgets.exceeded is not None

    @property
    def stops_on_budget(self) -> bool:
        """True when the run has a budget and ``on_budget="stop"``."""
        return self._budgets is not None and self._budgets.on_budget == "stop"

    def budget_reached(self) -> bool:
        """Check the budgets now (a cheap reading); True once one is passed with ``"stop"``."""
        with self._lock:
            active = self._active
            if active is None or self._budgets is None:
                return False
            energy_kwh, emissions_kg = self._so_far(active, active.reading())
            self._budgets.update(energy_kwh=energy_kwh, emissions_kg=emissions_kg)
            return self._budgets.stop_requested

    def budget_message(self) -> str:
        """Say which budget was passed and by how much ("" when none was)."""
        exceeded = self._budgets.exceeded if self._budgets is not None else None
        if exceeded is None:
            return ""
        budget, value = exceeded
        return f"budget {budget.text} exceeded: {budget.describe(value)}"

    def _so_far(self, active: ActiveRun, end: Totals) -> tuple[float, float]:
        """Return the run's facility energy (kWh) and emissions (kg) so far, cheaply.

        Emissions take each hour's intensity as the result will (the monthly
        table's, or a live value already fetched), never asking the network.
        """
        start = active.window.totals
        pue = self.grid.pue
        it_j = end.cpu_j + end.gpu_j + end.ram_j - start.cpu_j - start.gpu_j - start.ram_j
        before = dict(start.hourly_j)
        grams_j = 0.0  # g/kWh x J
        for hour, joules in end.hourly_j:
            delta = joules - before.get(hour, 0.0)
            if delta > 0:
                grams_j += delta * active.timeline.known_g_per_kwh(hour)
        return it_j / J_PER_KWH * pue, grams_j / J_PER_KWH * pue / 1000.0

    def _check_budget(self, active: ActiveRun, end: Totals) -> None:
        if self._budgets is None:
            return
        energy_kwh, emissions_kg = self._so_far(active, end)
        self._budgets.update(energy_kwh=energy_kwh, emissions_kg=emissions_kg)
        self._budgets.raise_if_stopped()

    def predict(self, done: float, total: float) -> Prediction:
        """Predict the run's total footprint from the work done so far.

        Call it as the work progresses (after each epoch, or every few
        hundred steps): each call adds a point, and the prediction leaves out
        the warm-up and fits a robust rate on the points so far.

        Args:
            done: units of work done so far (epochs, steps).
            total: units of work the whole run will do.

        Raises:
            ConfigError: ``done`` or ``total`` out of order or not numbers.
            WattprintError: the tracker is not running.
        """
        from wattprint.advice.prediction import Progress, predict
        from wattprint.impact.uncertainty import INTENSITY_BANDS

        with self._lock:
            active = self._active
            if active is None:
                raise WattprintError("predict() needs a running tracker; call start() first")
            end = active.reading()
            energy_kwh, emissions_kg = self._so_far(active, end)
            elapsed_s = end.monotonic_s - active.window.totals.monotonic_s
            if self._progress and not done > self._progress[-1].done:
                raise ConfigError(
                    "done", done, f"more than the last call's {self._progress[-1].done:g}"
                )
            self._progress.append(Progress(done, energy_kwh * J_PER_KWH, elapsed_s))
            intensity = self.grid.intensity.intensity_g_per_kwh
            band = INTENSITY_BANDS["set" if self.grid.intensity_is_set else "average"]
            prediction = predict(
                self._progress,
                total=total,
                intensity_g_per_kwh=intensity,
                intensity_low_g_per_kwh=intensity * band.low_factor,
                intensity_high_g_per_kwh=intensity * band.high_factor,
            )
            if self._budgets is not None:
                self._budgets.update(energy_kwh=energy_kwh, emissions_kg=emissions_kg)
                self._budgets.project(
                    energy_kwh_low=prediction.energy_kwh_low,
                    emissions_kg_low=prediction.emissions_kg_low,
                )
            return prediction


class _TaskBlock:
    """``with tracker.task(name):`` (a plain class: a generator-based one costs a task 3 µs)."""

    __slots__ = ("_api", "_name")

    def __init__(self, api: RunApi, name: str) -> None:
        self._api = api
        self._name = name

    def __enter__(self) -> RunApi:
        self._api.start_task(self._name)
        return self._api

    def __exit__(self, *exc: object) -> None:
        self._api._end_block(self._name)

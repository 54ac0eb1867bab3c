"""The training monitor every framework callback shares.

A :class:`TrainingMonitor` owns the tracker of one training run (or uses one
it is given), marks each epoch (and, when asked, each step) as a task, and
turns the figures into the flat mapping of metrics that frameworks log:

- ``wattprint/energy_kwh``, ``wattprint/emissions_kg``, ``wattprint/water_l``:
  the run's totals so far (plus those of the runs it resumes);
- ``wattprint/power_w``: the mean power since the previous figures;
- ``wattprint/epoch_energy_kwh``, ``wattprint/epoch_emissions_kg``,
  ``wattprint/epoch_water_l``, ``wattprint/epoch_power_w``: the epoch just ended;
- ``..._low`` and ``..._high`` beside each energy, emissions and water figure,
  when the results carry uncertainty ranges;
- ``wattprint/predicted_energy_kwh``, ``wattprint/predicted_emissions_kg`` (with
  ``_low`` and ``_high``) and ``wattprint/predicted_duration_s``: the run's
  predicted total after each epoch, when the total number of epochs is known
  (:meth:`wattprint.Tracker.predict`).

Budgets: with ``budget_kwh``/``budget_kg`` and ``on_budget="stop"``, the
epoch that passes the budget sets :attr:`TrainingMonitor.should_stop`, and
each framework's callback stops training gracefully at that point
(``control.should_training_stop``, ``trainer.should_stop``,
``model.stop_training``); the run is written as ``budget_exceeded``.

Multi-process training (torchrun, ``accelerate``, DeepSpeed, SLURM) uses the
tracker's run group: every rank tracks itself as the grouping rules say (in
machine mode only local rank 0 measures the host), and only global rank 0
hands figures to the framework's loggers, so nothing is logged twice.

Nothing here raises into training: each failure is one warning (per hook)
and the training goes on, with the figures it can still give.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from wattprint.integrations._support import Guard
from wattprint.units import J_PER_KWH

if TYPE_CHECKING:
    from wattprint.results import Footprint, RunResult, Status
    from wattprint.sinks.base import Observer, Sink
    from wattprint.tracking.tracker import Tracker

PREFIX = "wattprint/"
"""The prefix of every metric wattprint adds to a framework's logs."""

_RANGED = ("energy_kwh", "emissions_kg", "water_l")
_CARRIED = ("energy_kwh", "emissions_kg", "water_l", "duration_s")


def ranged_fields(result_type: type[Any]) -> tuple[str, ...]:
    """Return the figures of ``result_type`` that have ``_low`` and ``_high`` fields."""
    names = {f.name for f in dataclasses.fields(result_type)}
    return tuple(n for n in _RANGED if f"{n}_low" in names and f"{n}_high" in names)


def figures_of(result: Footprint, ranged: tuple[str, ...], *, prefix: str) -> dict[str, float]:
    """Return ``result``'s energy, emissions and water (with their ranges) as metrics."""
    out = {f"{prefix}{name}": float(getattr(result, name)) for name in _RANGED}
    for name in ranged:
        out[f"{prefix}{name}_low"] = float(getattr(result, f"{name}_low"))
        out[f"{prefix}{name}_high"] = float(getattr(result, f"{name}_high"))
    return out


class TrainingMonitor:
    """Track one training run; epochs (and optionally steps) are its tasks.

    Args:
        tracker: the tracker to use; a running one is left running at the
            end (the monitor does not own its run). Default: a new tracker
            made from ``tracker_options`` when training begins.
        framework: the framework's name, for warnings (e.g. ``Keras``).
        step_tasks: also mark each step as a task (each step then takes a
            sample and adds a task to the result: for short runs only).
        observers: more observers of the run (MLflow, Comet, W&B sinks ...).
        **tracker_options: keywords of :class:`~wattprint.Tracker`
            (``project``, ``country``, ``force_cpu_power_w`` ...).
    """

    def __init__(
        self,
        *,
        tracker: Tracker | None = None,
        framework: str = "training",
        step_tasks: bool = False,
        observers: tuple[Observer | Sink, ...] = (),
        **tracker_options: Any,
    ) -> None:
        self._tracker = tracker
        self._options = dict(tracker_options)
        self._observers = observers
        self.step_tasks = step_tasks
        self.guard = Guard(f"the {framework} integration")
        self._owns_run = False
        self._epoch_task = ""
        self._step_task = ""
        self._carried = dict.fromkeys(_CARRIED, 0.0)
        self._last_energy_kwh = 0.0
        self._last_duration_s = 0.0
        self._power_w = 0.0
        self._ranged: tuple[str, ...] | None = None
        self.result: RunResult | None = None
        self.total_epochs: float | None = None
        self.should_stop = False

    # -- the tracker -------------------------------------------------------

    @property
    def tracker(self) -> Tracker:
        """The tracker (made on first use from the options given)."""
        if self._tracker is None:
            from wattprint.tracking.tracker import Tracker

            self._tracker = Tracker(**self._options)
        return self._tracker

    @property
    def logs_here(self) -> bool:
        """True where figures go to the framework's loggers: global rank 0, or no group."""
        group = self.tracker.group
        return group is None or group.rank == 0

    @property
    def running(self) -> bool:
        """True while the tracker's run goes on."""
        return self._tracker is not None and self._tracker.running

    def _ranges(self) -> tuple[str, ...]:
        if self._ranged is None:
            from wattprint.results import TaskResult

            self._ranged = ranged_fields(TaskResult)
        return self._ranged

    # -- the run -----------------------------------------------------------

    def begin(self) -> None:
        """Start tracking (a tracker already running is used as it is)."""
        self.guard.call("begin", self._begin, None)

    def _begin(self) -> None:
        tracker = self.tracker
        for observer in self._observers:
            tracker.add_observer(observer)
        self._observers = ()
        if not tracker.running:
            tracker.start()
            self._owns_run = True
        self._last_energy_kwh = self._carried["energy_kwh"]
        self._last_duration_s = self._carried["duration_s"]

    def end(self, status: Status = "completed") -> RunResult | None:
        """Close the open tasks and stop the run (if the monitor started it); return it."""
        return self.guard.call("end", lambda: self._end(status), None)

    def _end(self, status: Status) -> RunResult | None:
        if not self.running:
            return self.result
        tracker = self.tracker
        for name in (self._step_task, self._epoch_task):
            if name:
                tracker.stop_task(name)
        self._step_task = self._epoch_task = ""
        if self._owns_run:
            self._owns_run = False
            self.result = tracker.stop(status)
        return self.result

    def fail(self, error: BaseException | None = None) -> RunResult | None:
        """End the run as ``interrupted`` after a failure inside training (data written)."""
        return self.end("interrupted")

    # -- epochs and steps --------------------------------------------------

    def epoch_begin(self, epoch: int) -> None:
        """Open the task ``epoch-<epoch>`` (closing one left open)."""
        self.guard.call("epoch_begin", lambda: self._epoch_begin(epoch), None)

    def _epoch_begin(self, epoch: int) -> None:
        if not self.running:
            return
        if self._epoch_task:
            self.tracker.stop_task(self._epoch_task)
        self._epoch_task = f"epoch-{epoch}"
        self.tracker.start_task(self._epoch_task)

    def epoch_end(self) -> dict[str, float]:
        """Close the open epoch's task; return its figures and the totals (rank 0 only)."""
        return self.guard.call("epoch_end", self._epoch_end, {})

    def _epoch_end(self) -> dict[str, float]:
        from wattprint.errors import BudgetExceeded

        if not self.running or not self._epoch_task:
            return {}
        name, self._epoch_task = self._epoch_task, ""
        out: dict[str, float] = {}
        try:
            task = self.tracker.stop_task(name)
        except BudgetExceeded as err:  # the task was closed and recorded: stop training
            self.should_stop = True
            self.guard.note(f"stopping training: {err}")
        else:
            out = figures_of(task, self._ranges(), prefix=f"{PREFIX}epoch_")
            power = task.energy_kwh * J_PER_KWH / task.duration_s if task.duration_s > 0 else 0.0
            out[f"{PREFIX}epoch_power_w"] = power
        done = int(name.rsplit("-", 1)[-1])
        if self.total_epochs and 0 < done <= self.total_epochs:
            out.update(self._prediction(done, self.total_epochs))
        if not self.logs_here:
            return {}
        out.update(self._figures())
        return out

    def _prediction(self, done: float, total: float) -> dict[str, float]:
        p = self.tracker.predict(done, total)
        return {
            f"{PREFIX}predicted_energy_kwh": p.energy_kwh,
            f"{PREFIX}predicted_energy_kwh_low": p.energy_kwh_low,
            f"{PREFIX}predicted_energy_kwh_high": p.energy_kwh_high,
            f"{PREFIX}predicted_emissions_kg": p.emissions_kg,
            f"{PREFIX}predicted_emissions_kg_low": p.emissions_kg_low,
            f"{PREFIX}predicted_emissions_kg_high": p.emissions_kg_high,
            f"{PREFIX}predicted_duration_s": p.duration_s,
        }

    def step_begin(self, step: int) -> None:
        """Open the task ``step-<step>`` when steps are tasks."""
        if self.step_tasks and self.running:
            self.guard.call("step_begin", lambda: self._step_begin(step), None)

    def _step_begin(self, step: int) -> None:
        if self._step_task:
            self.tracker.stop_task(self._step_task)
        self._step_task = f"step-{step}"
        self.tracker.start_task(self._step_task)

    def step_end(self) -> None:
        """Close the open step's task, when steps are tasks."""
        if self._step_task and self.running:
            self.guard.call("step_end", self._step_end, None)

    def _step_end(self) -> None:
        name, self._step_task = self._step_task, ""
        self.tracker.stop_task(name)

    # -- figures -----------------------------------------------------------

    def figures(self) -> dict[str, float]:
        """Return the totals so far and the mean power since the last call (rank 0 only)."""
        return self.guard.call("figures", self._figures, {})

    def _figures(self) -> dict[str, float]:
        if not self.running or not self.logs_here:
            return {}
        interim = self.tracker.flush()
        out = figures_of(interim, self._ranges(), prefix=PREFIX)
        for key in _RANGED:
            for suffix in ("", "_low", "_high"):
                name = f"{PREFIX}{key}{suffix}"
                if name in out:
                    out[name] += self._carried[key]
        energy_kwh = out[f"{PREFIX}energy_kwh"]
        duration_s = interim.duration_s + self._carried["duration_s"]
        spent_s = duration_s - self._last_duration_s
        if spent_s > 0:  # else: asked twice at one moment, the power is the last one's
            self._power_w = (energy_kwh - self._last_energy_kwh) * J_PER_KWH / spent_s
            self._last_energy_kwh, self._last_duration_s = energy_kwh, duration_s
        out[f"{PREFIX}power_w"] = self._power_w
        return out

    # -- resuming ----------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """Return the totals so far, to be saved with a checkpoint (kWh, kg, L, s)."""
        return self.guard.call("state_dict", self._state_dict, dict(self._carried))

    def _state_dict(self) -> dict[str, float]:
        if not self.running:
            return dict(self._carried)
        interim = self.tracker.flush()
        return {k: self._carried[k] + float(getattr(interim, k)) for k in _CARRIED}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue the totals of a saved run: later figures add to them."""
        self.guard.call("load_state_dict", lambda: self._load(state), None)

    def _load(self, state: Mapping[str, Any]) -> None:
        self._carried = {k: float(state.get(k, 0.0)) for k in _CARRIED}
        now = self._state_dict()
        self._last_energy_kwh, self._last_duration_s = now["energy_kwh"], now["duration_s"]

    def default_options(self, **options: Any) -> None:
        """Use ``options`` for the tracker to be made, where not given already."""
        for key, value in options.items():
            self._options.setdefault(key, value)

    @property
    def carried(self) -> dict[str, float]:
        """The totals carried over from the runs this one resumes (kWh, kg, L, s)."""
        return dict(self._carried)


__all__ = ["PREFIX", "TrainingMonitor", "figures_of", "ranged_fields"]

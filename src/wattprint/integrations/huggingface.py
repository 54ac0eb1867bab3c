"""Hugging Face ``transformers``: a Trainer callback, and the model card's emissions.

Add the callback with :func:`attach`, which puts it first in the Trainer's
callbacks so that the figures it adds to each ``logs`` dict
(``wattprint/energy_kwh``, ``wattprint/emissions_kg``, ``wattprint/water_l``,
``wattprint/power_w``, and per epoch ``wattprint/epoch_*``) reach every
reporter after it (W&B, MLflow, TensorBoard, Comet) and the Trainer's own
``state.log_history``::

    from wattprint.integrations.huggingface import attach

    trainer = Trainer(model=model, args=args, train_dataset=data)
    attach(trainer, country="FR")
    trainer.train()

:func:`attach` also closes the run as ``interrupted`` (its data written)
when training fails. ``Trainer(callbacks=[WattprintCallback()])`` works too,
but the reporters that come before it do not see its figures. At each
epoch's end the callback asks the Trainer to log, so every epoch has a row.
``report_to=["wattprint"]`` cannot work: transformers' list of reporters is
closed. :func:`model_card_metadata` gives the Hub's ``co2_eq_emissions`` block.

Each checkpoint the Trainer saves gets the run's totals so far in
``wattprint_state.json``; ``trainer.train(resume_from_checkpoint=...)`` then
continues them: the logged ``wattprint/*`` totals cover both runs, while the
run written (the emissions.csv row) is the resumed run alone.
"""

from __future__ import annotations

import json
import os
from typing import Any

from wattprint.integrations._support import Guard, require, require_hooks
from wattprint.integrations.model_card import model_card_metadata
from wattprint.integrations.monitor import PREFIX, TrainingMonitor

_transformers = require("transformers", "huggingface")
_NEEDED = "4.36"
require_hooks(
    "transformers",
    _transformers.__version__,
    _NEEDED,
    _transformers.TrainerCallback,
    ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_log", "on_train_end"),
)

_Base: Any = _transformers.TrainerCallback

STATE_FILE = "wattprint_state.json"
"""The file, in each checkpoint folder, that keeps the run's totals so far."""


def _checkpoint_dir(args: Any, state: Any) -> str:
    """Return the folder of the checkpoint at ``state.global_step`` (the Trainer's naming)."""
    return os.path.join(str(args.output_dir), f"checkpoint-{int(state.global_step)}")


class WattprintCallback(_Base):  # type: ignore[misc]
    """Track a Trainer's run: epochs as tasks, figures in every log.

    Args:
        tracker: a tracker to use instead of a new one (a running one is left running).
        step_tasks: also mark each optimisation step as a task (short runs only).
        observers: more observers of the run (MLflow, Comet, W&B sinks ...).
        **tracker_options: keywords of :class:`~wattprint.Tracker`; the
            experiment defaults to the Trainer's ``run_name``.
    """

    def __init__(self, *, step_tasks: bool = False, **options: Any) -> None:
        self.monitor = TrainingMonitor(
            framework="Hugging Face Trainer", step_tasks=step_tasks, **options
        )
        self._guard = Guard("the Hugging Face Trainer integration")
        self._epoch = 0
        self._pending: dict[str, float] = {}

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Start the run."""
        run_name = getattr(args, "run_name", None)
        if isinstance(run_name, str) and run_name:
            self.monitor.default_options(experiment=run_name)
        self._epoch = 0
        epochs = getattr(state, "num_train_epochs", None) or getattr(args, "num_train_epochs", None)
        if isinstance(epochs, (int, float)) and epochs > 0:
            self.monitor.total_epochs = float(epochs)
        self.monitor.begin()
        if int(getattr(state, "global_step", 0) or 0) > 0:  # resumed from a checkpoint
            self._guard.call("on_train_begin", lambda: self._resume(args, state), None)

    def _resume(self, args: Any, state: Any) -> None:
        path = os.path.join(_checkpoint_dir(args, state), STATE_FILE)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                self.monitor.load_state_dict(json.load(f))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Keep the totals so far beside the checkpoint just saved (main process only)."""
        if getattr(state, "is_world_process_zero", True):
            self._guard.call("on_save", lambda: self._save(args, state), None)

    def _save(self, args: Any, state: Any) -> None:
        folder = _checkpoint_dir(args, state)
        if os.path.isdir(folder):
            with open(os.path.join(folder, STATE_FILE), "w", encoding="utf-8") as f:
                json.dump(self.monitor.state_dict(), f)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Open the epoch's task."""
        self._epoch += 1
        self.monitor.epoch_begin(self._epoch)

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Close the epoch's task; ask for a log so that its figures are reported."""
        self._pending = self.monitor.epoch_end()
        if self._pending:
            self._guard.call("on_epoch_end", lambda: setattr(control, "should_log", True), None)
        if self.monitor.should_stop:  # the budget is passed: stop gracefully
            self._guard.call(
                "on_epoch_end", lambda: setattr(control, "should_training_stop", True), None
            )

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Open the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self.monitor.step_begin(int(state.global_step) + 1)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Close the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self.monitor.step_end()

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        """Add the figures to ``logs`` (and to the Trainer's log history)."""
        if not getattr(state, "is_world_process_zero", True):
            return
        figures = {**self._pending, **self.monitor.figures()}
        self._pending = {}
        if figures:
            self._guard.call("on_log", lambda: _add(figures, logs, state), None)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Stop the run and write it out."""
        self.monitor.end()

    def on_train_error(
        self, args: Any, state: Any, control: Any, error: BaseException | None = None, **kw: Any
    ) -> None:
        """Close the run as ``interrupted`` (for versions that call this hook)."""
        self.monitor.fail(error)


def _add(figures: dict[str, float], logs: dict[str, Any] | None, state: Any) -> None:
    if logs is not None:
        logs.update(figures)
    history = getattr(state, "log_history", None)
    # The Trainer appends a copy of ``logs`` to its history before telling the callbacks.
    if history and history[-1].get("step") == state.global_step:
        history[-1].update(figures)


def attach(trainer: Any, callback: WattprintCallback | None = None, **options: Any) -> Any:
    """Put a wattprint callback first in ``trainer``'s callbacks, and return it.

    ``trainer.train`` is wrapped so that a failure inside training closes the
    run as ``interrupted``, its data written, before the error goes on up.

    Args:
        trainer: a ``transformers.Trainer``.
        callback: the callback to attach; default: one made from ``options``.
        **options: keywords of :class:`WattprintCallback`.
    """
    cb = callback if callback is not None else WattprintCallback(**options)
    handler = trainer.callback_handler
    handler.callbacks[:] = [c for c in handler.callbacks if c is not cb]
    handler.callbacks.insert(0, cb)
    train = trainer.train

    def train_closing_on_failure(*args: Any, **kwargs: Any) -> Any:
        try:
            return train(*args, **kwargs)
        except BaseException as err:
            cb.monitor.fail(err)
            raise

    trainer.train = train_closing_on_failure
    return cb


__all__ = ["PREFIX", "WattprintCallback", "attach", "model_card_metadata"]

"""PyTorch Lightning: a callback that tracks ``trainer.fit``.

::

    from wattprint.integrations.lightning import WattprintCallback

    trainer = Trainer(callbacks=[WattprintCallback(country="FR")])

Each training epoch is a task; at its end the epoch's figures and the totals
so far (``wattprint/...``) are logged with ``pl_module.log_dict`` (so they
reach the loggers and ``trainer.callback_metrics``) from global rank 0. An
exception inside ``fit`` closes the run as ``interrupted``, its data written.
The totals are saved in checkpoints (``state_dict``), so a resumed run goes
on from them. Uses ``lightning`` (2.x) or, without it, ``pytorch_lightning``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from wattprint.integrations._support import Guard, require, require_hooks
from wattprint.integrations.monitor import TrainingMonitor


def _lightning() -> tuple[ModuleType, str]:
    try:
        return importlib.import_module("lightning.pytorch"), "lightning"
    except ImportError:
        return require("pytorch_lightning", "lightning"), "pytorch_lightning"


_pl, _DIST = _lightning()
require_hooks(
    _DIST,
    str(getattr(_pl, "__version__", "?")),
    "2.0",
    _pl.Callback,
    ("on_fit_start", "on_fit_end", "on_train_epoch_start", "on_train_epoch_end",
     "on_exception", "state_dict", "load_state_dict"),
)  # fmt: skip

_Base: Any = _pl.Callback


class WattprintCallback(_Base):  # type: ignore[misc]
    """Track ``trainer.fit``: epochs as tasks, figures logged at each epoch's end.

    Args:
        step_tasks: also mark each training batch as a task (short runs only).
        **options: ``tracker``, ``observers`` and the keywords of
            :class:`~wattprint.Tracker` (see
            :class:`~wattprint.integrations.monitor.TrainingMonitor`).
    """

    def __init__(self, *, step_tasks: bool = False, **options: Any) -> None:
        self.monitor = TrainingMonitor(framework="Lightning", step_tasks=step_tasks, **options)
        self._guard = Guard("the Lightning integration")

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Start the run."""
        epochs = getattr(trainer, "max_epochs", None)
        if isinstance(epochs, int) and epochs > 0:
            self.monitor.total_epochs = float(epochs)
        self.monitor.begin()

    def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
        """Open the epoch's task."""
        self.monitor.epoch_begin(int(trainer.current_epoch) + 1)

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, idx: int) -> None:
        """Open the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self.monitor.step_begin(int(trainer.global_step) + 1)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, idx: int
    ) -> None:
        """Close the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self.monitor.step_end()

    def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Close the epoch's task and log its figures and the totals."""
        figures = self.monitor.epoch_end()
        if figures:
            self._guard.call(
                "on_train_epoch_end",
                lambda: pl_module.log_dict(
                    figures, on_step=False, on_epoch=True, rank_zero_only=True
                ),
                None,
            )
        if self.monitor.should_stop:  # the budget is passed: stop gracefully
            self._guard.call(
                "on_train_epoch_end", lambda: setattr(trainer, "should_stop", True), None
            )

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        """Stop the run and write it out."""
        self.monitor.end()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        """Close the run as ``interrupted``, its data written."""
        self.monitor.fail(exception)

    def state_dict(self) -> dict[str, float]:
        """Return the totals so far, saved in the checkpoint (kWh, kg, L, s)."""
        return self.monitor.state_dict()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue the totals saved in a checkpoint."""
        self.monitor.load_state_dict(state_dict)


__all__ = ["WattprintCallback"]

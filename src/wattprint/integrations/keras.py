"""Keras 3: a callback whose figures land in each epoch's ``logs``.

::

    from wattprint.integrations.keras import WattprintCallback

    history = model.fit(x, y, epochs=3, callbacks=[WattprintCallback(country="FR")])
    history.history["wattprint/energy_kwh"]

Each epoch is a task; its figures (``wattprint/epoch_energy_kwh`` ...) and the
totals so far (``wattprint/energy_kwh`` ...) are added to the epoch's
``logs``, so ``History``, ``CSVLogger`` and ``TensorBoard`` record them.
Works with every Keras 3 backend (JAX, TensorFlow, PyTorch).

Keras has no hook for a failure inside ``fit``: an exception nobody catches
ends the run as ``interrupted`` when the program exits (the figures so far
are written); a program that catches it and goes on calls
``callback.monitor.fail(err)`` to close the run at once.
"""

from __future__ import annotations

from typing import Any

from wattprint.integrations._support import Guard, require, require_hooks
from wattprint.integrations.monitor import TrainingMonitor

_keras = require("keras", "keras")
require_hooks(
    "keras",
    str(getattr(_keras, "__version__", "?")),
    "3.0",
    _keras.callbacks.Callback,
    ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end", "set_model"),
)

_Base: Any = _keras.callbacks.Callback


class WattprintCallback(_Base):  # type: ignore[misc]
    """Track ``model.fit``: epochs as tasks, figures in each epoch's logs.

    Args:
        step_tasks: also mark each training batch as a task (short runs only).
        **options: ``tracker``, ``observers`` and the keywords of
            :class:`~wattprint.Tracker`.
    """

    def __init__(self, *, step_tasks: bool = False, **options: Any) -> None:
        super().__init__()
        self.monitor = TrainingMonitor(framework="Keras", step_tasks=step_tasks, **options)
        self._guard = Guard("the Keras integration")
        self._step = 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start the run."""
        self.monitor.begin()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Open the epoch's task (epochs counted from 1)."""
        self.monitor.epoch_begin(epoch + 1)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Open the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self._step += 1
            self.monitor.step_begin(self._step)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Close the step's task (when steps are tasks)."""
        if self.monitor.step_tasks:
            self.monitor.step_end()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Close the epoch's task and add its figures and the totals to ``logs``."""
        epochs = (getattr(self, "params", None) or {}).get("epochs")
        if isinstance(epochs, int) and epochs > 0:
            self.monitor.total_epochs = float(epochs)
        figures = self.monitor.epoch_end()
        if figures and logs is not None:
            self._guard.call("on_epoch_end", lambda: logs.update(figures), None)
        if self.monitor.should_stop and getattr(self, "model", None) is not None:
            self._guard.call(
                "on_epoch_end", lambda: setattr(self.model, "stop_training", True), None
            )

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Stop the run and write it out."""
        self.monitor.end()


__all__ = ["WattprintCallback"]

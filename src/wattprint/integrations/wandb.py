"""Weights & Biases: a run's energy, carbon and water as metrics and in the summary.

::

    import wandb
    from wattprint import Tracker
    from wattprint.integrations.wandb import WandbSink

    run = wandb.init(project="demo")
    with Tracker(country="FR", observers=[WandbSink(run)]):
        train()

W&B already samples GPU and CPU power in its system metrics, so the sink adds
no power series: it logs ``wattprint/energy_kwh``, ``wattprint/emissions_kg``
and ``wattprint/water_l`` at each checkpoint (``commit=False``: they join the
program's next step rather than making steps of their own), and writes the
final figures, each task's and the provenance tags into the run's summary.
"""

from __future__ import annotations

from typing import Any

from wattprint.errors import WattprintError
from wattprint.integrations._report import metrics_of, tags_of
from wattprint.integrations._support import require
from wattprint.integrations.monitor import PREFIX
from wattprint.results import RunResult, TaskResult
from wattprint.sinks.base import RunStart

_wandb = require("wandb", "wandb")


class WandbSink:
    """Log a wattprint run into a W&B run.

    Args:
        run: the W&B run; default: ``wandb.run`` when wattprint's run starts.
    """

    name = "wandb"

    def __init__(self, run: Any = None) -> None:
        self.run = run

    def _run(self) -> Any:
        if self.run is None:
            raise WattprintError("no W&B run: call wandb.init() first, or give WandbSink(run)")
        return self.run

    def on_start(self, run: RunStart) -> None:
        """Find the W&B run and note wattprint's run id in its summary."""
        if self.run is None:
            self.run = _wandb.run
        self._run().summary[f"{PREFIX}run_id"] = run.run_id

    def on_checkpoint(self, interim: RunResult) -> None:
        """Log the totals so far with the program's next step."""
        self._run().log(metrics_of(interim), commit=False)

    def on_task_end(self, task: TaskResult) -> None:
        """Put the task's figures in the summary, under ``wattprint/task/<name>/``."""
        figures = metrics_of(task, prefix=f"{PREFIX}task/{task.name}/")
        self._run().summary.update(figures)

    def on_stop(self, result: RunResult) -> None:
        """Put the final figures and the provenance in the summary."""
        summary: dict[str, object] = dict(metrics_of(result))
        summary[f"{PREFIX}duration_s"] = result.duration_s
        summary.update({k.replace("wattprint.", PREFIX): v for k, v in tags_of(result).items()})
        self._run().summary.update(summary)


def attach(tracker: Any, run: Any = None) -> WandbSink:
    """Add a :class:`WandbSink` for ``run`` (default: ``wandb.run``) to ``tracker``; return it."""
    sink = WandbSink(run)
    tracker.add_observer(sink)
    return sink


__all__ = ["WandbSink", "attach"]

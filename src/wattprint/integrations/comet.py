"""Comet: a run's figures as metrics, its provenance as "others", its report as an asset.

::

    import comet_ml
    from wattprint import Tracker
    from wattprint.integrations.comet import CometSink

    experiment = comet_ml.start(project_name="demo",
                                experiment_config=comet_ml.ExperimentConfig(auto_log_co2=False))
    with Tracker(country="FR", observers=[CometSink(experiment)]):
        train()

Comet starts CodeCarbon by itself when ``auto_log_co2`` is on (its default)
and ``codecarbon`` is installed: turn it off as above (or set
``COMET_AUTO_LOG_CO2=false``) so the energy is not measured twice. The sink
logs ``wattprint/energy_kwh``, ``wattprint/emissions_kg`` and
``wattprint/water_l`` at every checkpoint (step: seconds since the start)
and at the end, each task as ``wattprint/task_*``, the tags as "others",
and uploads ``wattprint-report.json`` and ``wattprint-methodology.json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wattprint.integrations._report import dumps, methodology_of, metrics_of, report_of, tags_of
from wattprint.integrations._support import require
from wattprint.integrations.monitor import PREFIX
from wattprint.results import RunResult, TaskResult
from wattprint.sinks.base import RunStart

require("comet_ml", "comet")


class CometSink:
    """Log a wattprint run into a Comet experiment (online or offline).

    Args:
        experiment: a ``comet_ml`` experiment (``Experiment``, ``OfflineExperiment`` ...).
        report: upload the methodology and the JSON report at the end.
        sign_key: an Ed25519 private key (PEM) to sign the report with.
    """

    name = "comet"

    def __init__(
        self, experiment: Any, *, report: bool = True, sign_key: str | Path | None = None
    ) -> None:
        self.experiment = experiment
        self.report = report
        self.sign_key = sign_key
        self._tasks = 0

    def on_start(self, run: RunStart) -> None:
        """Record wattprint's run id with the experiment."""
        self.experiment.log_other("wattprint.run_id", run.run_id)

    def on_checkpoint(self, interim: RunResult) -> None:
        """Log the totals so far."""
        self.experiment.log_metrics(metrics_of(interim), step=round(interim.duration_s))

    def on_task_end(self, task: TaskResult) -> None:
        """Log the task's figures as ``wattprint/task_*``, step: its number."""
        self._tasks += 1
        self.experiment.log_metrics(metrics_of(task, prefix=f"{PREFIX}task_"), step=self._tasks)

    def on_stop(self, result: RunResult) -> None:
        """Log the final figures and tags; upload the report."""
        self.experiment.log_metrics(metrics_of(result), step=round(result.duration_s))
        self.experiment.log_others(tags_of(result))
        if self.report:
            self.experiment.log_asset_data(
                dumps(methodology_of(result)), name="wattprint-methodology.json"
            )
            report = report_of(result, sign_key=self.sign_key)
            self.experiment.log_asset_data(dumps(report), name="wattprint-report.json")


def attach(tracker: Any, experiment: Any, **options: Any) -> CometSink:
    """Add a :class:`CometSink` for ``experiment`` to ``tracker``, and return it."""
    sink = CometSink(experiment, **options)
    tracker.add_observer(sink)
    return sink


__all__ = ["CometSink", "attach"]

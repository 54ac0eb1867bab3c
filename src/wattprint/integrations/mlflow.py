"""MLflow: a run's figures as metrics, its provenance as tags, its report as artefacts.

::

    import mlflow
    from wattprint import Tracker
    from wattprint.integrations.mlflow import MlflowSink

    with mlflow.start_run():
        with Tracker(country="FR", observers=[MlflowSink()]):
            train()

The sink logs ``wattprint/energy_kwh``, ``wattprint/emissions_kg`` and
``wattprint/water_l`` at every checkpoint (step: seconds since the run
started) and at the end, each task as ``wattprint/task_*`` (step: the
task's number), tags ``wattprint.*`` (run id, status, country, intensity
source, the method of each component, ``wattprint.estimated``), and uploads
``wattprint/methodology.json`` and ``wattprint/report.json`` (the JSON report,
signed when given a key). It writes through ``MlflowClient`` with the run id
taken at the start, so checkpoints from the sampling thread land in the
right run. MLflow's own system metrics give power and utilisation, not energy
or carbon: the two do not overlap.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from wattprint.errors import WattprintError
from wattprint.integrations._report import dumps, methodology_of, metrics_of, report_of, tags_of
from wattprint.integrations._support import require
from wattprint.integrations.monitor import PREFIX
from wattprint.results import RunResult, TaskResult
from wattprint.sinks.base import RunStart

_mlflow = require("mlflow", "mlflow")


class MlflowSink:
    """Log a wattprint run into an MLflow run.

    Args:
        run_id: the MLflow run; default: the active run when wattprint's run starts.
        tracking_uri: the tracking server or store; default: MLflow's own default.
        report: upload the methodology and the JSON report at the end.
        sign_key: an Ed25519 private key (PEM) to sign the report with.
    """

    name = "mlflow"

    def __init__(
        self,
        *,
        run_id: str | None = None,
        tracking_uri: str | None = None,
        report: bool = True,
        sign_key: str | Path | None = None,
    ) -> None:
        self.run_id = run_id
        self.client = _mlflow.tracking.MlflowClient(tracking_uri=tracking_uri)
        self.report = report
        self.sign_key = sign_key
        self._tasks = 0

    def _run(self) -> str:
        if self.run_id is None:
            raise WattprintError("no active MLflow run: start one, or give MlflowSink(run_id=...)")
        return self.run_id

    def _log(self, metrics: dict[str, float], step: int) -> None:
        now_ms = int(time.time() * 1000)
        batch = [_mlflow.entities.Metric(k, v, now_ms, step) for k, v in metrics.items()]
        self.client.log_batch(self._run(), metrics=batch, synchronous=True)

    def on_start(self, run: RunStart) -> None:
        """Find the MLflow run and tag it with wattprint's run id."""
        if self.run_id is None:
            active = _mlflow.active_run()
            self.run_id = active.info.run_id if active is not None else None
        self.client.set_tag(self._run(), "wattprint.run_id", run.run_id)

    def on_checkpoint(self, interim: RunResult) -> None:
        """Log the totals so far."""
        self._log(metrics_of(interim), round(interim.duration_s))

    def on_task_end(self, task: TaskResult) -> None:
        """Log the task's figures as ``wattprint/task_*``, step: its number."""
        self._tasks += 1
        self._log(metrics_of(task, prefix=f"{PREFIX}task_"), self._tasks)

    def on_stop(self, result: RunResult) -> None:
        """Log the final figures and tags; upload the methodology and the report."""
        self._log(metrics_of(result), round(result.duration_s))
        tags = [_mlflow.entities.RunTag(k, v) for k, v in tags_of(result).items()]
        run_id = self._run()
        self.client.log_batch(run_id, tags=tags, synchronous=True)
        if self.report:
            methodology = dumps(methodology_of(result))
            self.client.log_text(run_id, methodology, "wattprint/methodology.json")
            report = report_of(result, sign_key=self.sign_key)
            self.client.log_text(run_id, dumps(report), "wattprint/report.json")


def attach(tracker: Any, **options: Any) -> MlflowSink:
    """Add an :class:`MlflowSink` made from ``options`` to ``tracker``, and return it."""
    sink = MlflowSink(**options)
    tracker.add_observer(sink)
    return sink


__all__ = ["MlflowSink", "attach"]

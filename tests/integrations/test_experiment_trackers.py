"""MLflow, Comet and W&B as observers, each read back from the tool's own store."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import kwh, make_tracker
from fakes.fake_clock import FakeClock


def _run(tracker: object, clock: FakeClock) -> object:
    tracker.start()  # type: ignore[attr-defined]
    with tracker.task("epoch-1"):  # type: ignore[attr-defined]
        clock.advance(10.0)
    clock.advance(5.0)
    tracker.flush()  # type: ignore[attr-defined]  # the due checkpoint is taken
    return tracker.stop()  # type: ignore[attr-defined]


def test_mlflow_has_metrics_per_step_tags_and_the_report(tmp_path: Path, clock: FakeClock) -> None:
    mlflow = pytest.importorskip("mlflow", reason="needs the integrations-test extra")
    from wattprint.integrations.mlflow import MlflowSink

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.create_experiment("demo", artifact_location=(tmp_path / "art").as_uri())
    with mlflow.start_run(experiment_id=experiment) as active:
        tracker = make_tracker(clock, checkpoint_s=4.0, observers=[MlflowSink(tracking_uri=uri)])
        result = _run(tracker, clock)
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    history = client.get_metric_history(active.info.run_id, "wattprint/energy_kwh")
    assert len(history) >= 2  # checkpoints, then the end
    assert history[-1].step == 15 and history[-1].value == pytest.approx(kwh(15))
    task = client.get_metric_history(active.info.run_id, "wattprint/task_energy_kwh")
    assert [m.value for m in task] == pytest.approx([kwh(10)])
    run = client.get_run(active.info.run_id)
    assert run.data.tags["wattprint.run_id"] == result.run_id  # type: ignore[attr-defined]
    assert run.data.tags["wattprint.cpu_method"] == "constant"
    assert run.data.tags["wattprint.estimated"] == "true"
    folder = Path(client.download_artifacts(active.info.run_id, "wattprint", str(tmp_path)))
    report = json.loads((folder / "report.json").read_text())
    assert report["totals"]["energy_kwh"] == pytest.approx(kwh(15))
    methodology = json.loads((folder / "methodology.json").read_text())
    assert methodology["components"][0]["method"] == "constant"


def test_mlflow_without_a_run_is_one_warning(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    mlflow = pytest.importorskip("mlflow", reason="needs the integrations-test extra")
    from wattprint.integrations.mlflow import MlflowSink

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    tracker = make_tracker(clock, observers=[MlflowSink()])
    result = _run(tracker, clock)
    assert result.status == "completed"  # type: ignore[attr-defined]
    assert "no active MLflow run" in caplog.text


def test_comet_offline_archive_has_the_metrics_and_the_report(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    comet_ml = pytest.importorskip("comet_ml", reason="needs the integrations-test extra")
    from wattprint.integrations.comet import CometSink

    monkeypatch.setenv("COMET_AUTO_LOG_CO2", "false")
    experiment = comet_ml.OfflineExperiment(
        offline_directory=str(tmp_path), project_name="demo", display_summary_level=0,
        auto_output_logging=False, auto_log_co2=False, log_code=False, log_git_metadata=False,
        log_git_patch=False, log_env_details=False,
    )  # fmt: skip
    tracker = make_tracker(clock, checkpoint_s=4.0, observers=[CometSink(experiment)])
    _run(tracker, clock)
    experiment.end()
    archive = next(tmp_path.glob("*.zip"))
    with zipfile.ZipFile(archive) as z:
        messages = z.read("messages.json").decode()
        uploads = {
            m["payload"]["additional_params"]["fileName"]: m["payload"]["file_path"]
            for m in map(json.loads, messages.splitlines())
            if m.get("type") == "file_upload"
        }
        report = json.loads(z.read(uploads["wattprint-report.json"]))
    metrics = [json.loads(line) for line in messages.splitlines() if "wattprint/energy_kwh" in line]
    values = [float(m["payload"]["metric"]["metricValue"]) for m in metrics]
    assert values and values[-1] == pytest.approx(kwh(15))
    assert "wattprint.cpu_method" in messages and "constant" in messages
    assert report["totals"]["energy_kwh"] == pytest.approx(kwh(15))


def test_wandb_offline_run_has_the_summary(tmp_path: Path, clock: FakeClock) -> None:
    wandb = pytest.importorskip("wandb", reason="needs the integrations-test extra")
    from wattprint.integrations.wandb import WandbSink

    run = wandb.init(mode="offline", dir=str(tmp_path), project="demo")
    try:
        tracker = make_tracker(clock, checkpoint_s=4.0, observers=[WandbSink(run)])
        _run(tracker, clock)
        run.log({"loss": 1.0})
        assert run.summary["wattprint/energy_kwh"] == pytest.approx(kwh(15))
        assert run.summary["wattprint/task/epoch-1/energy_kwh"] == pytest.approx(kwh(10))
        assert run.summary["wattprint/cpu_method"] == "constant"
        assert "wattprint/power_w" not in dict(run.summary)  # W&B samples power itself
        total = run.summary["wattprint/energy_kwh"]
    finally:
        run.finish()
        wandb.teardown()  # the service writes the run's log out before it exits
    # The offline run's log (protobuf records; values stored as JSON text) holds the summary.
    stored = next(tmp_path.rglob("offline-run-*/run-*.wandb")).read_bytes()
    assert b"wattprint/energy_kwh" in stored and json.dumps(total).encode() in stored

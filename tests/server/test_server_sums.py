"""CodeCarbon's per-experiment and per-run sums, each one grouped query: same figures as alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.server.conftest import ADMIN, make_setup

ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


def _emit(client: Any, token: str, run_id: str, kwh: float, cpu_w: float) -> None:
    body = {"timestamp": datetime.now().astimezone().isoformat(), "run_id": run_id,
            "duration": 30, "emissions_sum": kwh / 2, "emissions_rate": kwh / 60,
            "cpu_power": cpu_w, "gpu_power": 0.0, "ram_power": 3.0, "cpu_energy": kwh,
            "gpu_energy": 0.0, "ram_energy": 0.0, "energy_consumed": kwh,
            "cpu_utilization_percent": 40.0}  # fmt: skip
    answer = client.post("/emissions", json=body, headers={"x-api-token": token})
    assert answer.status_code == 201, answer.text


def test_experiment_and_run_sums_group_in_one_query(client: Any) -> None:
    s = make_setup(client)
    quiet = client.post("/api/experiments", headers=ADMIN_H, json={
        "name": "quiet", "description": "", "project_id": s.project}).json()["id"]  # fmt: skip
    runs = []
    for _ in range(3):
        answer = client.post("/runs", headers={"x-api-token": s.token}, json={
            "timestamp": datetime.now().astimezone().isoformat(), "experiment_id": s.experiment})
        runs.append(answer.json()["id"])
    _emit(client, s.token, runs[0], 0.002, 10.0)
    _emit(client, s.token, runs[0], 0.004, 30.0)
    _emit(client, s.token, runs[1], 0.001, 50.0)  # runs[2] sends nothing
    h = {"x-api-token": s.read_token}
    by_experiment = {e["experiment_id"]: e for e in
                     client.get(f"/projects/{s.project}/experiments/sums", headers=h).json()}
    busy = by_experiment[s.experiment]
    assert busy["emissions_count"] == 3 and busy["duration"] == 90
    assert abs(busy["energy_consumed"] - 0.007) < 1e-12
    assert abs(busy["cpu_power"] - 30.0) < 1e-9  # the mean over the three rows
    assert busy["cpu_utilization_percent"] == 40.0
    empty = by_experiment[quiet]
    assert empty["emissions_count"] == 0 and empty["energy_consumed"] == 0.0
    assert empty["duration"] == 0 and empty["cpu_utilization_percent"] is None
    per_run = client.get(f"/experiments/{s.experiment}/runs/sums", headers=h).json()
    assert [r["run_id"] for r in per_run] == runs[:2]  # oldest first; a run with none is left out
    assert per_run[0]["emissions_count"] == 2 and abs(per_run[0]["cpu_power"] - 20.0) < 1e-9
    assert abs(per_run[1]["energy_consumed"] - 0.001) < 1e-12
    alone = client.get(f"/api/projects/{s.project}/sums", headers=h).json()
    assert alone["emissions_count"] == 3
    assert abs(alone["energy_consumed"] - busy["energy_consumed"]) < 1e-12


def test_metrics_count_the_samples_from_the_runs(client: Any, app: Any) -> None:
    from sqlalchemy import text

    s = make_setup(client)
    run = client.post("/runs", headers={"x-api-token": s.token}, json={
        "timestamp": datetime.now().astimezone().isoformat(), "experiment_id": s.experiment})
    for kwh in (0.001, 0.002):
        _emit(client, s.token, run.json()["id"], kwh, 10.0)
    lines = client.get("/metrics").text.splitlines()
    shown = next(int(float(line.split()[-1])) for line in lines
                 if line.startswith("wattprint_server_samples_total "))  # fmt: skip
    with app.state.engine.connect() as conn:
        assert shown == conn.execute(text("SELECT count(*) FROM samples")).scalar_one() >= 2

"""The server sink: a real tracker's start, checkpoints and result reach a live server, once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import ADMIN, LiveServer, make_setup


def test_tracker_sends_start_checkpoints_and_result(live: LiveServer, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from wattprint.sinks.server import ServerSink
    from wattprint.tracking.tracker import Tracker

    client = TestClient(live.app)
    s = make_setup(client)
    sink = ServerSink(live.url, s.token, outbox_dir=tmp_path / "outbox")
    tracker = Tracker(save_to_file=False, force_cpu_power_w=20.0, force_ram_power_w=5.0,
                      interval_s=0.05, checkpoint_s=0.2, force_intensity_g_per_kwh=100.0,
                      experiment="sink", observers=[sink], env={"HOME": str(tmp_path)},
                      handle_signals=False)
    try:
        tracker.start()
        time.sleep(1.0)
        result = tracker.stop()
        assert sink.flush(20.0)
        h: dict[str, Any] = {"Authorization": f"Bearer {ADMIN}"}
        run = client.get(f"/api/runs/{result.run_id}", headers=h)
        assert run.status_code == 200
        page = client.get(f"/api/runs/{result.run_id}/emissions", headers=h).json()
        assert page["total"] >= 1
        sums = client.get(f"/api/projects/{s.project}/sums", headers=h).json()
        assert sums["energy_consumed"] <= result.energy_kwh * 1.000001
        assert not list((tmp_path / "outbox").rglob("*.json"))  # all delivered
        # a second sink resending the same messages stores nothing new
        again = client.post("/v1/ingest", headers={"Authorization": f"Bearer {s.token}"}, json={
            "kind": "result", "seq": 1, "run_id": result.run_id, "experiment": "sink",
            "started_at": result.started_at.isoformat(), "run": {"energy_kwh": 99.0}})
        assert again.json()["stored"] is False
        _check_ranges_and_report(client, result, tmp_path)
    finally:
        sink.close()  # its thread must not outlive the test


def _check_ranges_and_report(client: Any, result: Any, tmp_path: Path) -> None:
    """The run's bounds arrived as the tracker made them; its signed report verifies."""
    from wattprint.report.signing import load_public_key, verify_report
    from wattprint.server import models as m

    with client.app.state.sessions() as db:
        run = db.get(m.Run, result.run_id)
        assert run is not None and result.emissions_kg_low is not None
        assert run.emissions_kg_low == result.emissions_kg_low
        assert run.emissions_kg_high == result.emissions_kg_high
        assert run.energy_kwh_low == result.energy_kwh_low
        assert run.energy_kwh_high == result.energy_kwh_high
    h = {"Authorization": f"Bearer {ADMIN}"}
    report = client.get(f"/ui/runs/{result.run_id}/report.json", headers=h)
    assert report.status_code == 200, report.text
    key = client.get("/signing-key.pub")
    assert key.status_code == 200 and key.content.startswith(b"-----BEGIN PUBLIC KEY-----")
    (tmp_path / "server.pub").write_bytes(key.content)
    checked = verify_report(report.json(), public_key=load_public_key(tmp_path / "server.pub"))
    assert checked.ok, [c for c in checked.checks if c.passed is False]
    (line,) = report.json()["runs"]
    assert line["emissions_kg_low"] == pytest.approx(result.emissions_kg_low, rel=1e-6)

"""The server sink: a real tracker's start, checkpoints and result reach a live server, once."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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
    finally:
        sink.close()  # its thread must not outlive the test

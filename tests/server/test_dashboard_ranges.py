"""Emissions with their range: sent by wattprint's clients, implied for CodeCarbon's, stored.

A wattprint run's bounds travel in the ingest body and show on its pages; a
CodeCarbon run (its client sends none) shows the band its methodology
implies; a range sent half, or one that does not hold its figure, is
refused with 422 naming the field; ``wattprint push`` carries a file's
bounds; and the migration that adds the columns keeps the runs stored
before it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import ADMIN, Setup
from tests.server.test_dashboard import RUN_A, _started

from wattprint.impact.uncertainty import INTENSITY_BANDS, UNKNOWN_BAND
from wattprint.server.run_figures import mass_range


def _result(client: Any, token: str, run: dict[str, Any], *, tool: str = "wattprint") -> Any:
    message = {"kind": "result", "seq": 1, "run_id": str(uuid.uuid4()), "experiment": "ranges",
               "started_at": _started(10), "run": {"status": "completed", "tool": tool, **run}}
    return client.post("/v1/ingest", json=message, headers={"Authorization": f"Bearer {token}"})


def test_a_codecarbon_run_shows_the_band_its_methodology_implies(
    client: Any, setup: Setup
) -> None:
    sent = _result(client, setup.token, {**RUN_A}, tool="CodeCarbon 3.3.2")
    assert sent.status_code == 200, sent.text
    run_id = sent.json()["run_id"]
    h = {"Authorization": f"Bearer {ADMIN}"}
    page = client.get(f"/ui/runs/{run_id}", headers=h).text
    kg = RUN_A["emissions_kg"]
    low = kg * UNKNOWN_BAND.low_factor * INTENSITY_BANDS["average"].low_factor
    high = kg * UNKNOWN_BAND.high_factor * INTENSITY_BANDS["average"].high_factor
    assert f'id="emissions-range">{mass_range(kg, low, high)}<' in page
    assert "CodeCarbon&#39;s runs" in page or "CodeCarbon's runs" in page
    rows = client.get(f"/ui/projects/{setup.project}/runs.json", headers=h).json()
    (row,) = [r for r in rows if r["id"] == run_id]
    assert row["range"] == "implied"
    assert row["emissions_kg_low"] == pytest.approx(low)
    assert row["emissions_kg_high"] == pytest.approx(high)
    assert row["energy_kwh_high"] == pytest.approx(RUN_A["energy_kwh"] / 0.57)
    project = client.get(f"/ui/projects/{setup.project}", headers=h).text
    assert "1 run <abbr" in project  # counted among the implied ones


@pytest.mark.parametrize(
    ("bounds", "named"),
    [
        ({"emissions_kg_low": 0.001}, "emissions_kg_low and emissions_kg_high"),
        ({"emissions_kg_low": 0.009, "emissions_kg_high": 0.02}, "does not hold emissions_kg"),
        ({"energy_kwh_low": 0.01, "energy_kwh_high": 0.019}, "does not hold energy_kwh"),
        ({"energy_kwh_low": -0.01, "energy_kwh_high": 0.03}, "run.energy_kwh_low"),
    ],
)
def test_a_range_sent_half_or_not_holding_its_figure_is_refused(
    client: Any, setup: Setup, bounds: dict[str, float], named: str
) -> None:
    answer = _result(client, setup.token, {**RUN_A, **bounds})
    assert answer.status_code == 422
    assert named in str(answer.json()["detail"])


def test_the_ranges_migration_keeps_the_runs_stored_before_it(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from wattprint.server.db import MIGRATIONS_DIR, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        conn.execute(text(
            "INSERT INTO organisations VALUES ('o', 'org', '', '2026-01-01 00:00:00');"
        ))  # fmt: skip
        conn.execute(text("INSERT INTO projects VALUES ('p', 'o', 'p', '', 0, '2026-01-01');"))
        conn.execute(text("INSERT INTO experiments (id, project_id, name, description, timestamp, "
                          "on_cloud) VALUES ('e', 'p', 'e', '', '2026-01-01', 0)"))  # fmt: skip
        conn.execute(text(
            "INSERT INTO runs (id, experiment_id, project_id, source, timestamp, last_seen_at, "
            "status, duration_s, energy_kwh, cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, "
            "emissions_kg, water_l, embodied_kg, samples_count, last_seq) VALUES ('r', 'e', 'p', "
            "'wattprint', '2026-01-01', '2026-01-01', 'completed', 1, 2, 1, 1, 0, 0.5, 0, 0, 0, 1)"
        ))  # fmt: skip
        command.upgrade(config, "0003_run_ranges")
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        row = conn.execute(text("SELECT emissions_kg, emissions_kg_low, energy_kwh_high "
                                "FROM runs WHERE id = 'r'")).one()  # fmt: skip
        command.downgrade(config, "0002")
        columns = [c[1] for c in conn.execute(text("PRAGMA table_info(runs)")).all()]
    engine.dispose()
    assert revision == "0003_run_ranges"
    assert tuple(row) == (0.5, None, None)
    assert "emissions_kg_low" not in columns and "emissions_kg" in columns


def test_push_carries_a_files_bounds(live: Any, setup: Setup, tmp_path: Path) -> None:
    import time

    from wattprint.server import models as m
    from wattprint.server.push import push
    from wattprint.tracking.tracker import Tracker

    tracker = Tracker(save_to_file=True, output_dir=str(tmp_path), force_ram_power_w=5.0,
                      interval_s=0.05, experiment="pushed", env={"HOME": str(tmp_path)},
                      handle_signals=False)  # fmt: skip
    tracker.start()
    time.sleep(0.3)
    result = tracker.stop()
    assert result.emissions_kg_low is not None and result.emissions_kg_high is not None
    assert result.emissions_kg_low < result.emissions_kg < result.emissions_kg_high
    count = push([tmp_path / "emissions.csv"], live.url, setup.token)
    assert (count.sent, count.already) == (1, 0)
    with live.app.state.sessions() as db:
        run = db.get(m.Run, result.run_id)
        assert run is not None
        got = (run.energy_kwh_low, run.energy_kwh_high, run.emissions_kg_low, run.emissions_kg_high)
    sent = (result.energy_kwh_low, result.energy_kwh_high, result.emissions_kg_low,
            result.emissions_kg_high)  # fmt: skip
    assert got == pytest.approx(sent, rel=1e-6)

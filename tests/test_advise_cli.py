"""``wattprint advise where|when|parity`` from the command line, on real runs and files."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint import Tracker
from wattprint.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI in-process; put the ``wattprint`` logger back as it was (the CLI sets it up)."""
    logger = logging.getLogger("wattprint")
    handlers, level = list(logger.handlers), logger.level
    try:
        code = main(list(argv))
    finally:
        logger.handlers[:] = handlers
        logger.setLevel(level)
    out, err = capsys.readouterr()
    return code, out, err


def test_where_ranks_candidates_with_pue_and_saving(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "advise", "where", "--energy-kwh", "10", "--candidates",
                        "DE,FR,aws:eu-north-1", "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    keys = [p["key"] for p in data["places"]]
    assert keys == ["aws:eu-north-1", "FR", "DE"]
    north = data["places"][0]
    assert north["emissions_kg"] == pytest.approx(
        10 * north["pue"] * north["intensity_g_per_kwh"] / 1000
    )
    assert north["pue"] > 1.0  # the provider's PUE applies in a cloud region


def test_where_from_a_run_saves_against_where_it_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Tracker(output_dir=tmp_path, country="DE", force_cpu_power_w=100.0,
                 force_ram_power_w=0.0, mode="machine", handle_signals=False) as tracker:
        pass  # fmt: skip
    csv = str(tmp_path / "emissions.csv")
    code, out, _ = _run(capsys, "advise", "where", "--run", tracker.run_id[:8], "--file", csv,
                        "--candidates", "FR", "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["current"]["key"] == "DEU"
    (fr,) = data["places"]
    expected = 100 * (1 - fr["intensity_g_per_kwh"] / data["current"]["intensity_g_per_kwh"])
    assert fr["saving_percent"] == pytest.approx(expected)


def test_where_names_an_unknown_place(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "advise", "where", "--energy-kwh", "1", "--candidates", "nowhere")
    assert code == 2 and "nowhere" in err and "--candidates" in err


def test_when_with_a_forecast_whose_best_start_is_later(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    lines = ["time,intensity_g_per_kwh"]
    ratings = [300, 300, 300, 100, 100, 100, 300, 300]
    for i, rating in enumerate(ratings):
        lines.append(f"{(now + timedelta(hours=i + 1)).isoformat()},{rating}")
    forecast = tmp_path / "f.csv"
    forecast.write_text("\n".join(lines) + "\n")
    code, out, _ = _run(capsys, "advise", "when", "--duration", "3h", "--within", "12h",
                        "--forecast", str(forecast), "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    (best,) = data["best"]
    assert best["start"] == (now + timedelta(hours=4)).isoformat()
    assert best["intensity_g_per_kwh"] == 100
    assert best["saving_percent"] == pytest.approx(100 * 200 / 300)


def test_when_offline_names_the_cleanest_months(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "advise", "when", "--duration", "2h", "--place", "DE")
    assert code == 0
    assert "cleanest months" in out and "needs a forecast" in out


@pytest.mark.parametrize(
    "argv, hint",
    [(["--duration", "3x"], "--duration"), (["--duration", "0h"], "--duration"),
     (["--duration", "1h", "--within", "soon"], "--within")],
)  # fmt: skip
def test_when_bad_durations_are_usage_errors(
    argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "advise", "when", *argv)
    assert code == 2 and hint in err


def test_when_a_job_longer_than_the_forecast_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(timezone.utc)
    forecast = tmp_path / "f.csv"
    forecast.write_text(f"time,intensity_g_per_kwh,duration_min\n{now.isoformat()},100,60\n")
    code, _, err = _run(capsys, "advise", "when", "--duration", "3h", "--forecast", str(forecast))
    assert code == 1 and "duration" in err


def test_parity_of_two_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = dict(output_dir=tmp_path, country="FR", force_ram_power_w=0.0, mode="machine",
                  handle_signals=False)  # fmt: skip
    with Tracker(force_cpu_power_w=1000.0, **common) as train:  # type: ignore[arg-type]
        pass
    with Tracker(force_cpu_power_w=10.0, **common) as infer:  # type: ignore[arg-type]
        infer.add_units(500, "request")
    csv = str(tmp_path / "emissions.csv")
    code, out, _ = _run(capsys, "advise", "parity", "--training", train.run_id, "--inference",
                        infer.run_id, "--file", csv, "--json")  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert train.result is not None and infer.result is not None
    per = infer.result.energy_kwh / 500
    assert data["unit"] == "request"
    assert data["energy_units"] == pytest.approx(train.result.energy_kwh / per, rel=1e-3)


def test_when_live_asks_the_uk_provider_on_loopback(tmp_path: Path) -> None:
    """NESO's recorded 48 h forecast, its times moved to now, served on 127.0.0.1."""
    import subprocess
    import sys
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from wattprint.advice.windows import ForecastPoint, best_windows

    recorded = json.loads((Path(__file__).parent / "fixtures" / "live" /
                           "uk_intensity_fw48h.json").read_text())  # fmt: skip
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = start.replace(minute=start.minute - start.minute % 30)
    data, expected = [], []
    for i, point in enumerate(recorded["data"]):
        begin = start + timedelta(minutes=30 * i)
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%MZ")  # noqa: E731
        data.append({**point, "from": stamp(begin), "to": stamp(begin + timedelta(minutes=30))})
        value = point["intensity"]["actual"]  # the provider prefers the measured figure
        value = point["intensity"]["forecast"] if value is None else value
        expected.append(ForecastPoint(begin, timedelta(minutes=30), float(value)))
    body = json.dumps({"data": data}).encode()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    env.update(WATTPRINT_UK_CARBON_URL=f"http://127.0.0.1:{server.server_port}",
               XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))  # fmt: skip
    try:
        done = subprocess.run(
            [sys.executable, "-m", "wattprint", "advise", "when", "--duration", "2h",
             "--within", "24h", "--live", "uk", "--place", "GB", "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
    assert done.returncode == 0, done.stderr
    assert asked and "/fw48h" in asked[0]
    found = json.loads(done.stdout)
    first = datetime.fromisoformat(found["search_start"])
    last = datetime.fromisoformat(found["search_end"])
    assert last <= first + timedelta(hours=26)
    best = best_windows(expected, timedelta(hours=2), start=first, end=last)
    assert [w["start"] for w in found["best"]] == [w.start.isoformat() for w in best]
    assert found["best"][0]["intensity_g_per_kwh"] == pytest.approx(best[0].intensity_g_per_kwh)

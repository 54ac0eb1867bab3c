"""``wattprint run --budget`` and ``--start-within``, end to end in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import site
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from wattprint.records.read import read_records

WATTPRINT = [sys.executable, "-m", "wattprint"]
FORCED = ["--country", "FR", "--mode", "machine", "--ram-power", "0", "--interval", "0.2"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))}
    (tmp_path / "no-rapl").mkdir()
    (tmp_path / "home").mkdir()
    clean.update(WATTPRINT_RAPL_DIR=str(tmp_path / "no-rapl"), HOME=str(tmp_path / "home"),
                 XDG_CONFIG_HOME=str(tmp_path / "home" / ".config"),
                 PYTHONUSERBASE=site.getuserbase())  # fmt: skip
    return clean


def _run(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATTPRINT, "run", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def test_on_budget_stop_ends_the_command_and_exits_3(env: dict[str, str], tmp_path: Path) -> None:
    # 3600 W is 1 Wh a second: a 2 Wh budget is passed after 2 s of a 60 s command.
    began = time.monotonic()
    done = _run(env, tmp_path, *FORCED, "--cpu-power", "3600", "--budget", "2Wh",
                "--on-budget", "stop", "--", "sleep", "60")  # fmt: skip
    took_s = time.monotonic() - began
    assert done.returncode == 3, done.stderr
    assert took_s < 30
    assert "stopped: budget 0.002kWh exceeded:" in done.stderr and "kWh budget" in done.stderr
    (row,) = list(read_records(tmp_path / "emissions.csv"))
    assert row.status == "budget_exceeded"
    assert row.energy_kwh is not None and 0.002 <= row.energy_kwh < 0.01


def test_on_budget_warn_lets_the_command_finish(env: dict[str, str], tmp_path: Path) -> None:
    done = _run(env, tmp_path, *FORCED, "--cpu-power", "3600", "--budget", "1Wh", "--", "sleep",
                "2")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = list(read_records(tmp_path / "emissions.csv"))
    assert row.status == "completed"


@pytest.mark.parametrize("budget", ["0kg", "2 furlongs", "-1kWh"])
def test_a_bad_budget_is_a_usage_error(env: dict[str, str], tmp_path: Path, budget: str) -> None:
    done = _run(env, tmp_path, *FORCED, "--budget", budget, "--", "true")
    assert done.returncode == 2 and "--budget" in done.stderr and budget in done.stderr


def _forecast(tmp_path: Path, best_in_s: float) -> Path:
    now = datetime.now(timezone.utc)
    later = now + timedelta(seconds=best_in_s)
    lines = ["time,intensity_g_per_kwh,duration_min",
             f"{(now - timedelta(minutes=1)).isoformat()},300,{(best_in_s + 60) / 60}",
             f"{later.isoformat()},100,60"]  # fmt: skip
    path = tmp_path / "forecast.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_start_within_waits_for_the_best_start_and_notes_what_it_avoided(
    env: dict[str, str], tmp_path: Path
) -> None:
    forecast = _forecast(tmp_path, best_in_s=3.0)
    began = time.monotonic()
    done = _run(env, tmp_path, *FORCED, "--cpu-power", "10", "--start-within", "1h",
                "--duration", "2s", "--forecast", str(forecast), "--json-out",
                str(tmp_path / "r.json"), "--", "true")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - began >= 2.5
    assert "starting at" in done.stderr and "100.0 gCO2e/kWh against 300.0 now" in done.stderr
    notes = json.loads((tmp_path / "r.json").read_text())["methodology"]["notes"]
    assert any("carbon-aware start" in n and "avoided 200.0 gCO2e/kWh" in n for n in notes)


def test_ctrl_c_while_waiting_starts_nothing(env: dict[str, str], tmp_path: Path) -> None:
    forecast = _forecast(tmp_path, best_in_s=120.0)
    proc = subprocess.Popen(
        [*WATTPRINT, "run", *FORCED, "--start-within", "1h", "--duration", "2s", "--forecast",
         str(forecast), "--", "touch", str(tmp_path / "started")],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert "starting at" in line
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 130
    assert not (tmp_path / "started").exists()
    assert not (tmp_path / "emissions.csv").exists()


def test_start_within_needs_its_duration(env: dict[str, str], tmp_path: Path) -> None:
    done = _run(env, tmp_path, *FORCED, "--start-within", "8h", "--", "true")
    assert done.returncode == 2 and "--duration" in done.stderr

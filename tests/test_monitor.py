"""wattprint monitor: the whole machine, one row per period, until SIGTERM or Ctrl-C."""

from __future__ import annotations

import csv
import logging
import os
import re
import signal
import site
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from wattprint.errors import ConfigError
from wattprint.tracking.monitor import Monitor, parse_period
from wattprint.tracking.tracker import Tracker


@pytest.fixture
def restore_logger() -> Iterator[None]:
    """Put back the wattprint logger as it was (the command line adds a stderr handler)."""
    log = logging.getLogger("wattprint")
    level, handlers = log.level, list(log.handlers)
    yield
    log.setLevel(level)
    log.handlers[:] = handlers



@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("15min", 900.0), ("1h", 3600.0),
     ("1.5h", 5400.0), ("1d", 86400.0), (" 2 H ", 7200.0), ("0.5s", 0.5)],
)  # fmt: skip
def test_periods(text: str, seconds: float) -> None:
    assert parse_period(text) == seconds


@pytest.mark.parametrize("text", ["", "1w", "-1h", "0s", "h", "1e3", "400d"])
def test_bad_periods_name_the_value(text: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(repr(text))):
        parse_period(text)


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _wait_for(check: object, what: str, limit_s: float = 60.0) -> None:
    end = time.monotonic() + limit_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_one_row_per_period_until_stopped(tmp_path: Path) -> None:
    tracker = Tracker(
        country="FR", mode="machine", interval_s=0.05, output_dir=tmp_path, handle_signals=False
    )
    results = []
    loop = Monitor(tracker, 0.2, on_period=results.append)
    thread = threading.Thread(target=loop.run)
    thread.start()
    try:
        _wait_for(lambda: len(_rows(tmp_path / "emissions.csv")) >= 3, "three periods")
    finally:
        loop.request_stop()
        thread.join(30)
    assert not thread.is_alive()
    rows = _rows(tmp_path / "emissions.csv")
    assert len(rows) == len(results) >= 3
    assert len({r["run_id"] for r in rows}) == len(rows)  # one run per period
    assert {r["tracking_mode"] for r in rows} == {"machine"}
    assert {r["status"] for r in rows} == {"completed"}
    for before, after in zip(results, results[1:], strict=False):
        assert after.started_at >= before.ended_at  # a time series, in order


def test_max_periods(tmp_path: Path) -> None:
    tracker = Tracker(country="FR", interval_s=0.05, save_to_file=False, handle_signals=False)
    assert Monitor(tracker, 0.1, max_periods=2).run() == 2


def test_cli_monitor_until_sigterm_with_a_prometheus_endpoint(tmp_path: Path) -> None:
    pytest.importorskip("prometheus_client", reason="needs wattprint[prometheus]")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))}
    (tmp_path / "home").mkdir()
    env.update(HOME=str(tmp_path / "home"), PYTHONUSERBASE=site.getuserbase())
    proc = subprocess.Popen(
        [sys.executable, "-m", "wattprint", "monitor", "--period", "0.3s", "--country", "FR",
         "--interval", "0.1", "--prometheus-port", "0"],
        cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)/metrics", first)
        assert port, first
        _wait_for(lambda: len(_rows(tmp_path / "emissions.csv")) >= 2, "two periods")
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/metrics", timeout=10) as r:
            metrics = r.read().decode()
        assert "wattprint" in metrics
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped after" in err
    rows = _rows(tmp_path / "emissions.csv")
    assert len(rows) >= 2 and {r["tracking_mode"] for r in rows} == {"machine"}


@pytest.mark.usefixtures("restore_logger")
def test_cli_bad_period_names_the_option(tmp_path: Path) -> None:
    from wattprint.cli import main

    assert main(["monitor", "--period", "soon"]) == 2

"""Nothing lost: killed, terminated, interrupted and exiting processes still leave their run."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from wattprint import Tracker
from wattprint.tracking.journal import JOURNAL_DIR, read_journals
from wattprint.tracking.recovery import recover

SETUP = """
import os, signal, sys, time
from pathlib import Path
from wattprint import Tracker
out = Path(sys.argv[1])
out.mkdir(exist_ok=True)  # for the test's markers: a tracker creates it only to write
tracker = Tracker(output_dir=out, country="FR", mode="machine", force_cpu_power_w=10.0,
                  force_ram_power_w=0.0, interval_s=0.05, checkpoint_s=0.1)
"""


def _child(tmp_path: Path, body: str) -> subprocess.Popen[bytes]:
    script = tmp_path / "child.py"
    script.write_text(SETUP + textwrap.dedent(body))
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    return subprocess.Popen([sys.executable, str(script), str(tmp_path / "out")], env=env)


def _wait_for(path: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sigkill_is_recovered_once_as_crashed(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        tracker.start()
        (out / "ready").write_text("")
        time.sleep(60)
    """)  # fmt: skip
    out = tmp_path / "out"
    _wait_for(out / "ready")
    journals = out / JOURNAL_DIR
    seen: set[float] = set()
    deadline = time.monotonic() + 10
    while len(seen) < 3:  # a few checkpoints
        assert time.monotonic() < deadline
        seen |= {j.written_at_s for j in read_journals(journals)}
        time.sleep(0.03)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not (out / "emissions.csv").exists()
    recovered = recover(out)
    assert len(recovered) == 1
    run = recovered[0]
    assert run.status == "crashed" and run.cpu_energy_kwh > 0
    assert run.cpu_power_w == pytest.approx(10.0, rel=0.05)
    rows = _rows(out / "emissions.csv")
    assert [(r["run_id"], r["status"]) for r in rows] == [(run.run_id, "crashed")]
    assert list(read_journals(journals)) == []
    assert recover(out) == []  # nothing is counted twice
    assert len(_rows(out / "emissions.csv")) == 1


def test_a_journal_whose_row_exists_is_not_written_again(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        tracker.start()
        time.sleep(0.4)
        tracker._safety._guard.uninstall()
        tracker._write(tracker.flush())  # the row is written ...
        os.kill(os.getpid(), signal.SIGKILL)  # ... and the process dies before cleaning up
    """)  # fmt: skip
    child.wait()
    out = tmp_path / "out"
    assert len(list(read_journals(out / JOURNAL_DIR))) == 1
    # The next tracker started in that directory recovers it: nothing to add.
    with Tracker(output_dir=out, country="FR", save_to_file=True, interval_s=0.1):
        pass
    rows = _rows(out / "emissions.csv")
    assert len(rows) == 2 and len({r["run_id"] for r in rows}) == 2
    assert list(read_journals(out / JOURNAL_DIR)) == []


def test_sigterm_finishes_the_run_and_ends_the_process(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        tracker.start()
        (out / "ready").write_text("")
        time.sleep(60)
    """)  # fmt: skip
    out = tmp_path / "out"
    _wait_for(out / "ready")
    time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == -signal.SIGTERM  # the default action still happens
    (row,) = _rows(out / "emissions.csv")
    assert row["status"] == "interrupted" and float(row["cpu_energy"]) > 0


def test_sigterm_runs_the_users_handler(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        def mine(signum, frame):
            (out / "handled").write_text("yes")
            sys.exit(3)
        signal.signal(signal.SIGTERM, mine)
        tracker.start()
        (out / "ready").write_text("")
        time.sleep(60)
    """)  # fmt: skip
    out = tmp_path / "out"
    _wait_for(out / "ready")
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == 3
    assert (out / "handled").read_text() == "yes"
    assert _rows(out / "emissions.csv")[0]["status"] == "interrupted"


def test_ctrl_c_inside_with_and_unhandled_at_exit(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        try:
            with tracker:
                (out / "ready").write_text("")
                time.sleep(60)
        except KeyboardInterrupt:
            pass
        tracker.start()          # a second run, never stopped by the program:
        (out / "again").write_text("")
        time.sleep(60)           # Ctrl-C again, unhandled: finished at exit
    """)  # fmt: skip
    out = tmp_path / "out"
    _wait_for(out / "ready")
    child.send_signal(signal.SIGINT)
    _wait_for(out / "again")
    child.send_signal(signal.SIGINT)
    assert child.wait(10) == -signal.SIGINT  # Python ends on SIGINT, as without wattprint
    rows = _rows(out / "emissions.csv")
    assert [r["status"] for r in rows] == ["interrupted", "interrupted"]


def test_normal_exit_without_stop_is_completed(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        tracker.start()
        time.sleep(0.2)
    """)  # fmt: skip
    assert child.wait(10) == 0
    out = tmp_path / "out"
    (row,) = _rows(out / "emissions.csv")
    assert row["status"] == "completed"
    assert list(read_journals(out / JOURNAL_DIR)) == []


def test_output_dir_that_disappears_sends_the_row_to_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import shutil

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    out = tmp_path / "out"
    tracker = Tracker(output_dir=out, country="FR", interval_s=0.05).start()
    shutil.rmtree(out, ignore_errors=True)  # made when first written: may not be there yet
    out.write_text("not a directory any more")
    with caplog.at_level(logging.WARNING, "wattprint"):
        result = tracker.stop()
    fallback = tmp_path / "data" / "wattprint" / "emissions.csv"
    assert result.run_id in fallback.read_text()
    assert str(fallback) in caplog.text and "cannot be written" in caplog.text


def test_journal_is_json_with_the_run_so_far(tmp_path: Path) -> None:
    tracker = Tracker(output_dir=tmp_path, country="FR", interval_s=0.05, checkpoint_s=0.05,
                      mode="machine", force_cpu_power_w=5.0)  # fmt: skip
    tracker.start()
    time.sleep(0.3)
    (entry,) = read_journals(tmp_path / JOURNAL_DIR)
    assert entry.run_id == tracker.run_id and entry.pid == os.getpid()
    assert entry.result["status"] == "running" and entry.result["cpu_energy_kwh"] > 0
    assert entry.process_is_alive()
    assert recover(tmp_path) == []  # a live run is not recovered
    json.dumps(entry.result)
    tracker.stop()
    assert list(read_journals(tmp_path / JOURNAL_DIR)) == []


def test_recover_command(tmp_path: Path) -> None:
    child = _child(tmp_path, """
        tracker.start()
        time.sleep(0.4)
        os.kill(os.getpid(), signal.SIGKILL)
    """)  # fmt: skip
    child.wait()
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "wattprint", "recover", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and first.stdout.startswith("recovered ")
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "nothing to recover" in second.stdout
    assert _rows(out / "emissions.csv")[0]["status"] == "crashed"


def test_exit_on_an_uncaught_exception_is_interrupted(tmp_path: Path) -> None:
    """A framework with no error hook (Keras) leaves the run going when training fails."""
    child = _child(tmp_path, """
        tracker.start()
        time.sleep(0.2)
        raise RuntimeError("training failed")
    """)  # fmt: skip
    assert child.wait(10) == 1
    (row,) = _rows(tmp_path / "out" / "emissions.csv")
    assert row["status"] == "interrupted" and float(row["cpu_energy"]) > 0

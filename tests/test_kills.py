"""Nothing lost under concurrency and kills: threads, racing stops and recoveries, SIGKILL.

Every run that ``start()`` returned from must end up as exactly one row,
whatever happens to the process: SIGKILL at any moment (also while a
checkpoint or the row is being written), SIGTERM while a sensor hangs, eight
trackers in threads, four threads stopping one tracker, recoveries racing
over the same journals.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

from wattprint import Tracker
from wattprint.errors import DataError
from wattprint.records.read import read_records
from wattprint.tracking.journal import JOURNAL_DIR
from wattprint.tracking.recovery import recover

FORCED = {"force_cpu_power_w": 10.0, "force_ram_power_w": 1.0, "mode": "machine", "country": "FR"}


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_ids_in(path: Path) -> Counter[str]:
    damaged: list[DataError] = []
    ids = Counter(r.run_id for r in read_records(path, on_damaged=damaged.append))
    assert damaged == [], f"malformed rows in {path}: {damaged}"
    return ids


LOOP = """
import sys
from wattprint import Tracker
tracker = Tracker(output_dir=sys.argv[1], country="FR", mode="machine", force_cpu_power_w=10.0,
                  force_ram_power_w=1.0, interval_s=0.01, checkpoint_s=0.01,
                  handle_signals=False)
while True:
    tracker.start()
    print(tracker.run_id, flush=True)
    with tracker.task("work"):
        sum(range(20000))
    tracker.stop()
"""


def test_sigkill_at_random_moments_leaves_exactly_one_row_per_started_run(tmp_path: Path) -> None:
    """Runs started, checkpointed and written back to back; killed anywhere in that cycle."""
    script = tmp_path / "loop.py"
    script.write_text(LOOP)
    out = tmp_path / "out"
    rng = random.Random(20261206)
    started: list[str] = []
    kills = 25
    for _ in range(kills):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(out)],
            stdout=subprocess.PIPE, env=_env(tmp_path),
        )  # fmt: skip
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the first run has started: the cycle is going
        assert first, "the tracking loop did not start"
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        rest, _ = proc.communicate(timeout=30)
        started += [first.decode().strip(), *rest.decode().split()]
    recover(out)  # each start() already recovered the runs killed before it; this, the last
    assert not list((out / JOURNAL_DIR).glob("*")) if (out / JOURNAL_DIR).exists() else True
    rows = _run_ids_in(out / "emissions.csv")
    statuses = Counter(r.status for r in read_records(out / "emissions.csv"))
    assert statuses["crashed"] >= 1, statuses  # some kills hit a running run
    assert all(count == 1 for count in rows.values()), rows.most_common(3)
    missing = set(started) - set(rows)
    assert not missing, f"{len(missing)} started runs have no row"
    print(f"{kills} kills, {len(started)} runs started, {statuses['crashed']} recovered as crashed")


HUNG = """
import logging, sys, threading, time
logging.basicConfig(level=logging.WARNING)
from wattprint import Tracker
from wattprint.power.base import DeviceEnergy, Reading
from wattprint.power.discovery import Discovery

class Hung:
    name, component, method, measured, detail = "gpu-stuck", "gpu", "fake", True, "hangs"
    def read(self):
        threading.Event().wait()  # a driver call that never returns
    def close(self):
        pass

base = Tracker(output_dir=sys.argv[1], country="FR", mode="machine", force_cpu_power_w=10.0,
               force_ram_power_w=1.0, handle_signals=False).discovery
found = Discovery(base.hardware, base.outcomes, (*base.chosen, Hung()))
from wattprint.tracking import sampler
sampler.DEFAULT_ANSWER_S = 0.5
tracker = Tracker(output_dir=sys.argv[1], country="FR", mode="machine", discovery=found,
                  interval_s=0.1)
tracker.start()
print("started", flush=True)
time.sleep(600)
"""


def test_sigterm_ends_the_process_and_writes_the_row_while_a_sensor_hangs(
    tmp_path: Path,
) -> None:
    script = tmp_path / "hung.py"
    script.write_text(HUNG)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=_env(tmp_path),
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"started\n"
    time.sleep(0.5)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    took_s = time.monotonic() - began
    assert proc.returncode == -signal.SIGTERM, err.decode()[-2000:]
    assert took_s < 10, f"SIGTERM took {took_s:.1f} s to end the process"
    assert b"gpu-stuck stopped answering" in err
    rows = _run_ids_in(out / "emissions.csv")
    assert len(rows) == 1


def test_eight_trackers_in_threads_each_write_their_row(tmp_path: Path) -> None:
    results = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            with Tracker(output_dir=tmp_path, interval_s=0.01, handle_signals=False,
                         project=f"p{i}", **FORCED) as tracker:  # type: ignore[arg-type]
                for n in range(5):
                    with tracker.task(f"t{n}"):
                        sum(range(1000))
            results.append(tracker.result)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(results) == 8
    rows = _run_ids_in(tmp_path / "emissions.csv")
    assert rows == Counter({r.run_id: 1 for r in results if r is not None})


def test_stop_from_four_threads_at_once_gives_one_result_and_one_row(tmp_path: Path) -> None:
    tracker = Tracker(output_dir=tmp_path, interval_s=0.01, handle_signals=False, **FORCED)  # type: ignore[arg-type]
    tracker.start()
    barrier = threading.Barrier(4)
    got: list[object] = []

    def stop() -> None:
        barrier.wait()
        got.append(tracker.stop())

    threads = [threading.Thread(target=stop) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(got) == 4 and all(r is got[0] for r in got)
    assert _run_ids_in(tmp_path / "emissions.csv") == Counter({tracker.run_id: 1})


def test_recoveries_racing_over_twenty_journals_write_each_run_once(tmp_path: Path) -> None:
    """Twenty killed runs, four processes recovering the same directory at once."""
    script = tmp_path / "die.py"
    script.write_text(textwrap.dedent("""
        import os, sys
        from wattprint import Tracker
        tracker = Tracker(output_dir=sys.argv[1], country="FR", mode="machine",
                          force_cpu_power_w=10.0, force_ram_power_w=1.0)
        tracker.start()
        os.kill(os.getpid(), 9)
    """))
    out = tmp_path / "out"
    procs = [
        subprocess.Popen([sys.executable, str(script), str(out)], env=_env(tmp_path))
        for _ in range(20)
    ]
    for p in procs:
        p.wait(60)
    # Each start() recovers the runs killed before it: journals left + rows written = 20.
    journals = len(list((out / JOURNAL_DIR).glob("*.journal.json")))
    written = sum(_run_ids_in(out / "emissions.csv").values()) if journals < 20 else 0
    assert journals + written == 20 and journals > 0
    racer = "import sys, pathlib; from wattprint.tracking.recovery import recover; " + (
        "recover(pathlib.Path(sys.argv[1]))"
    )
    racers = [
        subprocess.Popen([sys.executable, "-c", racer, str(out)], env=_env(tmp_path))
        for _ in range(4)
    ]
    for r in racers:
        assert r.wait(60) == 0
    rows = _run_ids_in(out / "emissions.csv")
    assert len(rows) == 20 and set(rows.values()) == {1}

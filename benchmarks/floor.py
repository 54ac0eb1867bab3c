"""The hot-path figures of issue 12: a sample, a process, a task, ``wattprint run``, a report.

Run: PYTHONPATH=src python benchmarks/floor.py [--json] [--codecarbon PYTHON] [--rows N]

Prints, each the median of many repeats (µs unless said):

* one sample, hot, in the meter (machine mode; process mode with 10 tracked
  processes; per further tracked process, from a 300-process tree);
* one sample in the 720th hour of a run against the first hour;
* one empty task (``with tracker.task(...)``) and the bytes kept per task until
  the run's result is read (tracemalloc over 2,000 tasks);
* ``wattprint run -- true`` against bare ``true`` and, with ``--codecarbon``
  (a Python that has CodeCarbon 3.3.2), ``codecarbon monitor --offline -- true``,
  alternating, 7 runs each (ms);
* ``wattprint report`` on a ``--rows`` (100,000) row emissions.csv: wall time and
  peak RSS of the process, next to ``pandas.read_csv`` of the same file where
  pandas is installed.

It asserts nothing. The machine's load changes every figure: close other work.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"


def _median_us(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter_ns() - t)
    return statistics.median(times) / 1000


def _meter(tree: object) -> object:
    from wattprint.power.discovery import ProbeContext, discover
    from wattprint.tracking.meter import Meter

    discovery = discover(ProbeContext(env={}, rapl_dir=Path("/nonexistent")))
    now = time.monotonic()
    return Meter(discovery, tree=tree, clock_s=now, wall_s=time.time())  # type: ignore[arg-type]


def _sample_us(meter: object, repeats: int = 2000) -> float:
    """One sample that reads every counter (µs).

    Samples taken back to back fall within ``Meter.REREAD_S`` of each other and
    would reuse the last read of the CPU times: each one here reads them again.
    """

    def one() -> None:
        meter._times_at_s = float("-inf")  # type: ignore[attr-defined]
        meter.sample(time.monotonic(), time.time())  # type: ignore[attr-defined]

    for _ in range(50):
        one()
    return _median_us(one, repeats)


def _tree_of(n: int) -> tuple[subprocess.Popen[bytes], object]:
    from wattprint.tracking.process_tree import ProcessTree

    code = (
        "import subprocess, sys, time\n"
        f"ps = [subprocess.Popen(['sleep', '120']) for _ in range({n - 1})]\n"
        "print('up', flush=True); time.sleep(120)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    parent.stdout.readline()
    tree = ProcessTree(parent.pid, rescan_s=10.0)
    tree.start()
    return parent, tree


def measure_samples() -> dict[str, float]:
    """Return the sample figures (µs)."""
    out = {"sample, machine mode": _sample_us(_meter(None))}
    parent, tree = _tree_of(10)
    try:
        out["sample, process mode, 10 processes"] = _sample_us(_meter(tree))
    finally:
        parent.kill()
    parent, tree = _tree_of(300)
    try:
        big = _sample_us(_meter(tree), 500)
    finally:
        parent.kill()
    out["sample, process mode, 300 processes"] = big
    out["per further tracked process"] = (big - out["sample, process mode, 10 processes"]) / 290
    out["300-process tree at interval 1 s, % of a core"] = big / 1e6 * 100
    out.update(_hours())
    return out


def _hours() -> dict[str, float]:
    from wattprint.tracking.totals import Totals

    meter = _meter(None)
    first = _sample_us(meter, 2000)
    hours = tuple((3600 * h, 1.0) for h in range(720))
    meter.totals = Totals(time.monotonic(), hourly_j=hours)  # type: ignore[attr-defined]
    meter._last_wall_s = time.time()  # type: ignore[attr-defined]
    return {"sample, hour 1 of a run": first, "sample, hour 720 of a run": _sample_us(meter, 2000)}


def measure_tasks() -> dict[str, float]:
    """Return one empty task's time (µs) and the bytes kept per task."""
    from wattprint import Tracker

    tracker = Tracker(country="FR", save_to_file=False, interval_s=1.0, handle_signals=False)
    tracker.start()
    for i in range(50):
        with tracker.task(f"warm{i}"):
            pass

    def one() -> None:
        with tracker.task("t"):
            pass

    us = _median_us(one, 2000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(2000):
        one()
    kept = (tracemalloc.get_traced_memory()[0] - before) / 2000
    tracemalloc.stop()
    tracker.stop()
    return {"one empty task": us, "bytes kept per task": kept}


def _wall_ms(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000


def measure_run(codecarbon: str | None, runs: int = 7) -> dict[str, float]:
    """Return ``wattprint run -- true`` and its neighbours, in ms (medians, alternating)."""
    env = dict(os.environ, PYTHONPATH=str(SRC))
    cmds = {
        "bare true, ms": ["true"],
        "wattprint run -- true, ms": [sys.executable, "-m", "wattprint", "run", "--no-save",
                                      "--country", "FR", "--", "true"],
    }  # fmt: skip
    if codecarbon:
        cc = str(Path(codecarbon).parent / "codecarbon")
        cmds["codecarbon monitor --offline -- true, ms"] = [
            cc, "monitor", "--offline", "--country-iso-code", "FRA", "--", "true"
        ]
    found: dict[str, list[float]] = {k: [] for k in cmds}
    with tempfile.TemporaryDirectory() as cwd:
        for _ in range(runs):
            for key, cmd in cmds.items():
                found[key].append(_wall_ms(cmd, env, cwd))
    return {k: statistics.median(v) for k, v in found.items()}


def _emissions_csv(path: Path, rows: int) -> None:
    from wattprint.records.columns import COLUMNS

    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, PYTHONPATH=str(SRC))
        subprocess.run(
            [sys.executable, "-m", "wattprint", "run", "--country", "FR", "--output-dir", d,
             "--", "true"], env=env, check=True, capture_output=True,
        )  # fmt: skip
        with open(Path(d) / "emissions.csv", newline="") as f:
            header, row = list(csv.reader(f))[:2]
    del COLUMNS
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        run_id = header.index("run_id") if "run_id" in header else None
        for i in range(rows):
            if run_id is not None:
                row[run_id] = f"00000000-0000-4000-8000-{i:012d}"
            writer.writerow(row)


def measure_report(rows: int) -> dict[str, float]:
    """Return ``wattprint report``'s wall time (s) and peak RSS (MB) on a big file."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "emissions.csv"
        _emissions_csv(path, rows)
        env = dict(os.environ, PYTHONPATH=str(SRC))
        code = (
            "import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)\n"
            "print(time.perf_counter() - t, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        )
        report = [sys.executable, "-m", "wattprint", "report", str(path)]
        done = subprocess.run(
            [sys.executable, "-c", code, *report], env=env, capture_output=True, text=True
        )
        if done.returncode == 0:
            wall, rss_kb = done.stdout.split()
            out[f"wattprint report, {rows} rows, s"] = float(wall)
            out[f"wattprint report, {rows} rows, peak MB"] = int(rss_kb) / 1000
        else:
            print(done.stderr[-2000:], file=sys.stderr)
        pandas = (
            "import pandas, sys, time\nt = time.perf_counter()\n"
            "pandas.read_csv(sys.argv[1])\nprint(time.perf_counter() - t)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", pandas, str(path)], capture_output=True, text=True
        )
        if done.returncode == 0:
            out[f"pandas.read_csv, {rows} rows, s"] = float(done.stdout)
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--codecarbon", help="a Python with codecarbon 3.3.2 installed")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--only", default="samples,tasks,run,report",
        help="the parts to measure, comma-separated (samples, tasks, run, report)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    parts = set(args.only.split(","))
    # Bytecode first: PYTHONDONTWRITEBYTECODE (set in some environments) would
    # make every child compile the package again, and its import look slower.
    compileall.compile_dir(str(SRC), quiet=1)
    figures: dict[str, float] = {}
    if "samples" in parts:
        figures.update(measure_samples())
    if "tasks" in parts:
        figures.update(measure_tasks())
    if "run" in parts:
        figures.update(measure_run(args.codecarbon))
    if "report" in parts:
        figures.update(measure_report(args.rows))
    if args.json:
        print(json.dumps(figures, indent=1))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value:10.1f}")


if __name__ == "__main__":
    main()

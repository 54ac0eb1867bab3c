"""Time ``wattprint report`` on a large emissions.csv, and pandas.read_csv on the same file.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/report_stream.py               # 100,000 rows
    PYTHONPATH=src python benchmarks/report_stream.py --rows 20000 --runs 3

The file is written in wattprint's own CSV form: the rows of the recorded
fixture ``tests/fixtures/reports/emissions.csv`` (written by ``CsvSink``)
repeated with a fresh run id, project and times each, so every row is a
distinct run. wattprint's ``.pyc`` files are compiled first (as an
installed package has them; an environment with ``PYTHONDONTWRITEBYTECODE``
would otherwise compile every module in every run). Each figure is the
median of ``--runs`` fresh processes, wattprint's and pandas' runs taken in
turn: the wall time of ``wattprint report FILE --format json -o /dev/null``
and its peak RSS (``resource.getrusage(RUSAGE_CHILDREN)`` of a one-child
wrapper), and, if pandas is installed, the same for ``pandas.read_csv(FILE)``.
The ratio is wattprint's time over pandas'. The machine's load average is
printed before and after. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "reports" / "emissions.csv"

_CHILD = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(rc, wall, peak_kb)
"""


def write_file(path: Path, rows: int) -> None:
    """Write ``rows`` distinct runs in wattprint's CSV form to ``path``."""
    with open(FIXTURE, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        templates = list(reader)
    at = {name: i for i, name in enumerate(header)}
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        for n in range(rows):
            row = list(templates[n % len(templates)])
            began = start + timedelta(minutes=n)
            ended = began + timedelta(seconds=float(row[at["duration"]]))
            row[at["run_id"]] = str(uuid.UUID(int=n + 1))
            row[at["project_name"]] = f"project-{n % 7}"
            row[at["started_at_utc"]] = began.isoformat()
            row[at["ended_at_utc"]] = ended.isoformat()
            row[at["timestamp"]] = ended.isoformat(timespec="seconds")
            writer.writerow(row)


def measure_once(command: list[str]) -> tuple[float, float]:
    """Return the wall time (s) and peak RSS (MB) of ``command`` in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *command], capture_output=True, text=True, check=True
    ).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"{command} failed with exit status {out[0]}")
    return float(out[1]), float(out[2]) * 1024 / 1e6


def measure(commands: list[list[str]], runs: int) -> list[tuple[float, float]]:
    """Return the median wall time (s) and peak RSS (MB) of each command, run in turn."""
    walls: list[list[float]] = [[] for _ in commands]
    peaks: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for n, command in enumerate(commands):
            wall, peak = measure_once(command)
            walls[n].append(wall)
            peaks[n].append(peak)
    return [(statistics.median(w), statistics.median(p)) for w, p in zip(walls, peaks, strict=True)]


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    """Write the file, time the report and pandas, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the file here and keep it")
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src" / "wattprint", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "emissions.csv"
        write_file(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows, {size_mb:.1f} MB; median of {args.runs} fresh processes")
        print(f"before: {_load()}")
        report = [sys.executable, "-m", "wattprint", "report", str(path), "--format", "json",
                  "-o", "/dev/null"]  # fmt: skip
        commands = [report]
        if importlib.util.find_spec("pandas") is None:
            print("pandas.read_csv: pandas is not installed (pip install pandas)")
        else:
            commands.append(
                [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"]
            )
        figures = measure(commands, args.runs)
        wall, peak = figures[0]
        print(f"wattprint report --format json: {wall:.2f} s, {peak:.0f} MB peak RSS")
        if len(figures) > 1:
            p_wall, p_peak = figures[1]
            print(f"pandas.read_csv (import included): {p_wall:.2f} s, {p_peak:.0f} MB peak RSS")
            print(
                f"ratio wattprint / pandas: {wall / p_wall:.2f}x time, {peak / p_peak:.2f}x memory"
            )
        print(f"after: {_load()}")


if __name__ == "__main__":
    main()

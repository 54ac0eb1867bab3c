"""Time ``wattprint report`` on a large emissions.csv, and pandas.read_csv on the same file.

Usage (from the repository root)::

    PYTHONPATH=src python benchmarks/report_stream.py               # 100,000 rows
    PYTHONPATH=src python benchmarks/report_stream.py --rows 20000 --runs 3

The file is written in wattprint's own CSV form: the rows of the recorded
fixture ``tests/fixtures/reports/emissions.csv`` (written by ``CsvSink``)
repeated with a fresh run id, project and times each, so every row is a
distinct run. Each figure is the median of ``--runs`` fresh processes: the
wall time of ``wattprint report FILE --format json -o /dev/null`` and its
peak RSS (``resource.getrusage(RUSAGE_CHILDREN)`` of a one-child wrapper),
and, if pandas is installed, the same for ``pandas.read_csv(FILE)``. The
ratio is wattprint's time over pandas'. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
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


def measure(command: list[str], runs: int) -> tuple[float, float]:
    """Return the median wall time (s) and peak RSS (MB) of ``command`` in fresh processes."""
    walls, peaks = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, *command], capture_output=True, text=True, check=True
        ).stdout.split()
        if out[0] != "0":
            raise SystemExit(f"{command} failed with exit status {out[0]}")
        walls.append(float(out[1]))
        peaks.append(float(out[2]) * 1024 / 1e6)
    return statistics.median(walls), statistics.median(peaks)


def main() -> None:
    """Write the file, time the report and pandas, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="write the file here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "emissions.csv"
        write_file(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"file: {args.rows:,} rows, {size_mb:.1f} MB; median of {args.runs} fresh processes")
        report = [sys.executable, "-m", "wattprint", "report", str(path), "--format", "json",
                  "-o", "/dev/null"]  # fmt: skip
        wall, peak = measure(report, args.runs)
        print(f"wattprint report --format json: {wall:.2f} s, {peak:.0f} MB peak RSS")
        try:
            import pandas  # noqa: F401
        except ImportError:
            print("pandas.read_csv: pandas is not installed (pip install pandas)")
            return
        read = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r})"]
        p_wall, p_peak = measure(read, args.runs)
        print(f"pandas.read_csv (import included): {p_wall:.2f} s, {p_peak:.0f} MB peak RSS")
        print(f"ratio wattprint / pandas: {wall / p_wall:.2f}x time, {peak / p_peak:.2f}x memory")


if __name__ == "__main__":
    main()

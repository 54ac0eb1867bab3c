"""Every figure of the cost table, wattprint and CodeCarbon side by side, in one run.

Run: PYTHONPATH=src python benchmarks/cost.py --codecarbon /path/to/venv/bin/python
         [--seconds 190] [--python-ticks] [--rows 100000] [--quick] [--json]

``--codecarbon`` names a Python where CodeCarbon is installed (its own venv: its
dependencies need not meet wattprint's); without it only wattprint is measured.
First the ``.pyc`` files of both are compiled (environments that set
``PYTHONDONTWRITEBYTECODE`` would otherwise charge every import its compilation).
Each pair of figures is taken paired and alternating (wattprint, then CodeCarbon,
then wattprint again...), each in fresh processes, and the medians are printed with
their ratio and the target. Nothing is asserted: close other work first, since the
machine's load changes every figure. Building blocks: ``overhead.py`` (imports,
lifecycle, CPU) and ``floor.py`` (a sample, a task, ``wattprint run``, a report).

The idle CPU runs last ``--seconds`` (190 s) each: where the sampling thread
gathers, it works its ticks out once a minute, and a shorter window could
leave that work out (a 60 s window after 2.5 s of warm-up holds none of it).
``--python-ticks`` also measures process mode with the C extension turned off
(the ticks taken in Python, as where it could not be built).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floor  # noqa: E402
import overhead  # noqa: E402

SRC = Path(__file__).resolve().parent.parent / "src"


def compile_pyc(codecarbon: str | None) -> None:
    """Write the ``.pyc`` files of wattprint (and of CodeCarbon's interpreter)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(SRC)], env=env, check=False)
    if codecarbon:
        code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
        lib = subprocess.run([codecarbon, "-c", code], capture_output=True, text=True).stdout
        subprocess.run(
            [codecarbon, "-m", "compileall", "-q", lib.strip()], env=env, check=False,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def lifecycle_wall(tools: list[overhead.Tool], runs: int, workdir: str) -> dict[str, float]:
    """Wall time of a fresh process that imports, constructs, starts and stops (ms)."""
    walls: dict[str, list[float]] = {t.label: [] for t in tools}
    for _ in range(runs):
        for tool in tools:
            make = tool.make.format(interval=1, outdir=workdir)
            code = f"{tool.from_stmt}\n_t = {make}\n_t.start()\n_t.stop()\n"
            walls[tool.label].append(overhead._wall_s(code, workdir, tool.python) * 1000)
    return {label: _median(v) for label, v in walls.items()}


def idle_cpu(
    tools: list[overhead.Tool], runs: int, seconds: float, workdir: str
) -> dict[str, float]:
    """CPU (% of a core) above an idle sleeper's, interval 1 s, the steady state."""
    fracs: dict[str, list[float]] = {t.label: [] for t in tools}
    idle: list[float] = []
    for i in range(runs):
        for tool in tools:
            print(f"  idle CPU {i + 1}/{runs}: {tool.label}, {seconds:g} s", file=sys.stderr)
            code = overhead._cpu_code(tool, 1.0, workdir, seconds)
            tracked = overhead._child(code, workdir, python=tool.python)
            sleeper = overhead._child(overhead._cpu_code(None, 1.0, workdir, seconds), workdir)
            r, b = overhead._result(tracked), overhead._result(sleeper)
            fracs[tool.label].append(r["steady_cpu_s"] / r["steady_wall_s"])
            idle.append(b["steady_cpu_s"] / b["steady_wall_s"])
    base = _median(idle)
    return {label: (_median(v) - base) * 100 for label, v in fracs.items()}


_CC_TASK = """
import statistics, time, tracemalloc, logging
from codecarbon import OfflineEmissionsTracker
t = OfflineEmissionsTracker(country_iso_code="FRA", save_to_file=False, log_level="error",
                            measure_power_secs=1)
t.start()
for i in range(50):
    t.start_task(f"w{i}"); t.stop_task()
times = []
for i in range(500):
    s = time.perf_counter_ns(); t.start_task(f"t{i}"); t.stop_task()
    times.append(time.perf_counter_ns() - s)
t.stop()
print(statistics.median(times) / 1000)
"""


_FLOOR = """
import os, threading, time
def work():
    fds = [os.open(p, os.O_RDONLY) for p in ("/proc/stat", "/proc/meminfo", "/proc/self/stat")]
    while True:
        time.sleep(1.0)
        for fd in fds:
            os.pread(fd, 8192, 0)
th = threading.Thread(target=work, daemon=True)
th.start()
time.sleep(2.5)
def ns():
    with open(f"/proc/self/task/{th.native_id}/schedstat") as f:
        return int(f.read().split()[0])
a, t = ns(), time.monotonic()
time.sleep(SECONDS)
print((ns() - a) / 1e9 / (time.monotonic() - t) * 100)
"""


def bare_thread_pct(seconds: float) -> float:
    """CPU (% of a core) of a bare Python thread reading the three procfs files each second.

    The floor under any sampler written in Python on this machine: its wake-up and
    its reads, and nothing else (the thread's own run time, from ``schedstat``).
    """
    code = _FLOOR.replace("SECONDS", repr(seconds))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(done.stdout) if done.returncode == 0 else float("nan")


def codecarbon_task_us(python: str) -> float:
    """One empty CodeCarbon task (``start_task`` then ``stop_task``), µs."""
    done = subprocess.run([python, "-c", _CC_TASK], capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-1500:], file=sys.stderr)
        return float("nan")
    return float(done.stdout.split()[-1])


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main(argv: list[str] | None = None) -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codecarbon", metavar="PYTHON", help="a Python that has codecarbon")
    parser.add_argument("--seconds", type=float, default=190.0, help="each idle-CPU run")
    parser.add_argument(
        "--python-ticks", action="store_true",
        help="also measure process mode with the ticks taken in Python (no C extension)",
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per figure")
    parser.add_argument("--cpu-runs", type=int, default=2, help="idle-CPU runs per tracker")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the report's file")
    parser.add_argument("--quick", action="store_true", help="20 s CPU runs, 3 runs, 20,000 rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.runs, args.rows = 20.0, 3, 20_000
    cc = (
        args.codecarbon
        if args.codecarbon and overhead.codecarbon_version(args.codecarbon)
        else None
    )
    if args.codecarbon and cc is None:
        parser.error(f"--codecarbon {args.codecarbon}: that Python cannot import codecarbon")
    log = sys.stderr
    print("compiling .pyc files", file=log)
    compile_pyc(cc)
    process, machine, *rest = [
        *overhead.make_tools("process", False),
        *overhead.make_tools("machine", cc is not None, cc or ""),
    ]
    ccs = [t for t in rest if t.label == "CodeCarbon"]
    pure = [
        dataclasses.replace(
            process, label="wattprint (ticks in Python)",
            from_stmt="import wattprint.tracking.ticks as _ticks\n_ticks.NATIVE = False\n"
            + process.from_stmt,
        )
    ] if args.python_ticks else []  # fmt: skip
    rows: list[tuple[str, float | None, float | None, str, str]] = []

    with tempfile.TemporaryDirectory(prefix="wattprint-cost-") as workdir:
        print("idle CPU at interval 1 s", file=log)
        cpu = idle_cpu([process, machine, *pure, *ccs], args.cpu_runs, args.seconds, workdir)
        c = cpu.get("CodeCarbon")
        rows.append(
            ("tracker CPU, idle, 1 s, process mode", cpu[process.label], c, "% core", "1/10")
        )
        rows.append(
            ("tracker CPU, idle, 1 s, machine mode", cpu[machine.label], c, "% core", "1/10")
        )
        for tool in pure:
            rows.append(("same, process mode, ticks in Python", cpu[tool.label], c, "% core", ""))
        floor_pct = bare_thread_pct(args.seconds)
        rows.append(("(floor: a bare Python thread, 3 procfs reads each 1 s)", floor_pct, c,
                     "% core", ""))  # fmt: skip
        print("one sample, one process, a 30-day run", file=log)
        samples = floor.measure_samples()
        for key, target in (
            ("sample, machine mode", "100 µs"),
            ("sample, process mode, 10 processes", "150 µs"),
            ("per further tracked process", "10 µs"),
            ("300-process tree at interval 1 s, % of a core", "0.3 %"),
            ("sample, hour 1 of a run", ""),
            ("sample, hour 720 of a run", "= hour 1"),
        ):
            rows.append((key, samples[key], None, "%" if "%" in key else "µs", target))
        print("imports", file=log)
        imports = overhead.measure_import([process, *ccs], args.runs * 2, workdir)
        wp_from = _median(imports[process.label]["from_wall_ms"])
        cc_from = _median(imports["CodeCarbon"]["from_wall_ms"]) if ccs else None
        rows.append(("`from <pkg> import <Tracker>`, added", wp_from, cc_from, "ms", "1/3"))
        print("lifecycle", file=log)
        life = overhead.measure_lifecycle([process, *ccs], args.runs, workdir)
        ctor = {k: _median(v["ctor_ms"]) for k, v in life.items()}
        rows.append(("constructor", ctor[process.label], ctor.get("CodeCarbon"), "ms", "5 ms"))
        rss = {k: _median(v["rss_started_mb"]) for k, v in life.items()}
        rows.append(
            ("RSS added, import + start", rss[process.label], rss.get("CodeCarbon"), "MB", "10 MB")
        )
        walls = lifecycle_wall([process, *ccs], args.runs, workdir)
        rows.append((
            "import + construct + start + stop, fresh process", walls[process.label],
            walls.get("CodeCarbon"), "ms", "1/20",
        ))  # fmt: skip
    print("wattprint run -- true", file=log)
    run = floor.measure_run(cc, args.runs)
    bare = run["bare true, ms"]
    rows.append(("bare `true`", bare, None, "ms", ""))
    rows.append((
        "`wattprint run -- true` (`codecarbon monitor --offline -- true`)",
        run["wattprint run -- true, ms"], run.get("codecarbon monitor --offline -- true, ms"),
        "ms", f"{bare + 150:.0f} ms, 1/15",
    ))  # fmt: skip
    print("tasks", file=log)
    tasks = floor.measure_tasks()
    cc_task = codecarbon_task_us(cc) if cc else None
    rows.append(("one empty task", tasks["one empty task"], cc_task, "µs", "50 µs"))
    rows.append(("bytes kept per task", tasks["bytes kept per task"], None, "B", "300 B"))
    print(f"report on {args.rows:,} rows", file=log)
    report = floor.measure_report(args.rows)
    for key, value in report.items():
        unit = "MB" if key.endswith("MB") else "s"
        target = {"s": "3 s, 3x pandas", "MB": "150 MB"}[unit] if key.startswith("watt") else ""
        rows.append((key.rsplit(",", 1)[0] + (" (peak RSS)" if unit == "MB" else ""), value,
                     None, unit, target))  # fmt: skip

    if args.json:
        print(json.dumps([dict(zip(("figure", "wattprint", "codecarbon", "unit", "target"), r,
                                   strict=True)) for r in rows], indent=1))  # fmt: skip
        return
    print("\n| figure | wattprint | CodeCarbon | ratio | target |\n|---|---|---|---|---|")
    for name, wp, other, unit, target in rows:
        ratio = f"{wp / other:.2f}" if wp is not None and other else ""
        o = f"{_fmt(other)} {unit}" if other is not None else ""
        print(f"| {name} | {_fmt(wp)} {unit} | {o} | {ratio} | {target} |")
    print(f"\n{time.strftime('%Y-%m-%d %H:%M')}, load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")  # fmt: skip


if __name__ == "__main__":
    main()

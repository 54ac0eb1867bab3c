"""Measure what tracking costs: import time, start/stop latency, CPU and memory.

Run: python benchmarks/overhead.py [--quick | --seconds N] [--json] [--no-codecarbon]

Every figure is the median of several runs, each in a fresh interpreter
(``sys.executable``), and wattprint is measured side by side with CodeCarbon's
``OfflineEmissionsTracker`` when CodeCarbon is installed. The two trackers never
run at the same time. What is measured:

1. import: wall time of ``python -c "import wattprint"`` minus ``python -c "pass"``
   and the cumulative microseconds that ``python -X importtime`` gives the new
   top-level imports; for ``from wattprint import Tracker`` (the package loads its
   public names lazily, so that statement costs more than the bare import) the wall
   time added and the statement timed inside the fresh interpreter;
2. latency: time of the constructor, of ``start()`` and of ``stop()`` with an explicit
   country and no network, after a short sleep between the two;
3. CPU: the process's CPU time (user + system, getrusage) while the main thread sleeps
   for ``--seconds`` with the tracker running, minus that of a process sleeping as long
   with no tracker, as a percentage of one core, at interval 1 s and at each tool's
   default interval (wattprint 5 s, CodeCarbon ``measure_power_secs`` 15 s); at 1 s
   also leaving out the first 2.5 s (one-off work on the first samples: the steady state);
4. memory: VmRSS after import + start (and a few samples) minus VmRSS of the same
   interpreter before the import.

Targets for wattprint: import < 20 ms, start() and stop() < 20 ms each, < 0.1 % of one
core at interval 1 s, < 10 MB of RSS. The script asserts nothing; it prints figures.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.metadata
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
MARK = "@@overhead@@ "
CODECARBON_DEFAULT_INTERVAL_S = 15.0  # BaseEmissionsTracker's measure_power_secs default
WARMUP_S = 2.5  # the steady-state CPU figure leaves out the first 2.5 s after start()


@dataclass(frozen=True)
class Tool:
    """How to import, build and label one tracker in a child interpreter."""

    label: str
    import_stmt: str
    from_stmt: str
    make: str  # an expression with {interval} and {outdir}
    default_interval_s: float
    python: str = sys.executable  # the interpreter that has the tool installed


def codecarbon_version(python: str) -> str | None:
    """Return the codecarbon version that ``python`` imports, or None if it has none."""
    code = "import importlib.metadata as m; print(m.version('codecarbon'))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def _wattprint_default_interval_s() -> float:
    """Return the interval a Tracker resolves when given none (default, env or config)."""
    from wattprint import Tracker

    tracker = Tracker(country="FR", save_to_file=False, log_level="error")
    return float(tracker.settings.interval_s)


def make_tools(
    mode: str, with_codecarbon: bool, codecarbon_python: str = sys.executable
) -> list[Tool]:
    tools = [
        Tool(
            "wattprint" if mode == "process" else f"wattprint ({mode} mode)",
            "import wattprint",
            "from wattprint import Tracker",
            "Tracker(project='overhead', country='FR', interval_s={interval}, "
            f"mode={mode!r}, save_to_file=False, log_level='error')",
            _wattprint_default_interval_s(),
        )
    ]
    if with_codecarbon:
        tools.append(
            Tool(
                "CodeCarbon",
                "import codecarbon",
                "from codecarbon import OfflineEmissionsTracker",
                "OfflineEmissionsTracker(country_iso_code='FRA', measure_power_secs={interval}, "
                "save_to_file=False, output_dir={outdir!r}, log_level='error')",
                CODECARBON_DEFAULT_INTERVAL_S,
                codecarbon_python,
            )
        )
    return tools


# -- child processes -------------------------------------------------------

_RSS = """
def _rss_b():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
"""


def _env() -> dict[str, str]:
    """The children's environment: they import the wattprint this script would import.

    The children run in a temporary directory, where a relative ``PYTHONPATH``
    (``PYTHONPATH=src``) would find nothing and an installed wattprint (another
    checkout's, say) would be measured instead: its folder goes first, absolute.
    """
    env = dict(os.environ)
    spec = importlib.util.find_spec("wattprint")
    where = str(Path(spec.origin).resolve().parent.parent) if spec and spec.origin else str(SRC)
    rest = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([where, *rest]))
    return env


def _child(
    code: str, workdir: str, args: tuple[str, ...] = (), python: str = sys.executable
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [python, *args, "-c", code],
        cwd=workdir,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, err = proc.communicate()
    for line in out.splitlines():
        if line.startswith(MARK):
            return dict(json.loads(line[len(MARK) :]))
    raise RuntimeError(f"child failed (exit {proc.returncode}):\n{err[-3000:]}")


def run_child(code: str, workdir: str, python: str = sys.executable) -> dict[str, float]:
    return _result(_child(code, workdir, python=python))


def _report(names: str) -> str:
    return f"import json as _j; print({MARK!r} + _j.dumps(dict({names})))"


# -- 1. import ---------------------------------------------------------------


def _wall_s(code: str, workdir: str, python: str = sys.executable) -> float:
    start = time.perf_counter()
    subprocess.run(
        [python, "-c", code],
        cwd=workdir,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _importtime(code: str, workdir: str, python: str = sys.executable) -> dict[str, int]:
    """Return the cumulative µs of each top-level import of ``python -X importtime``."""
    proc = subprocess.run(
        [python, "-X", "importtime", "-c", code],
        cwd=workdir,
        env=_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    top: dict[str, int] = {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if not name[1:].startswith(" "):  # nested imports are indented
            top[name.strip()] = int(cumulative)
    return top


def _inproc_ms(stmt: str, workdir: str, python: str = sys.executable) -> float:
    """Time ``stmt`` inside a fresh interpreter, in ms."""
    code = f"import time\n_t = time.perf_counter()\n{stmt}\n_t = time.perf_counter() - _t\n"
    return run_child(code + _report("ms=_t * 1e3"), workdir, python)["ms"]


def measure_import(tools: list[Tool], runs: int, workdir: str) -> dict[str, dict[str, list[float]]]:
    """Return, per tool, the ms each run adds: wall time and -X importtime or in-process.

    ``-X importtime`` does not log a module loaded by ``importlib.import_module``
    (wattprint's lazy ``__getattr__``), only what that module imports: for the
    ``from`` statement the import is timed inside the child instead.
    """
    for tool in tools:  # warm the bytecode caches
        for code in ("pass", tool.import_stmt, tool.from_stmt):
            _wall_s(code, workdir, tool.python)
    # Each interpreter's own bare start is subtracted (a venv's differs from the system's).
    walls: dict[tuple[str, str], list[float]] = {}
    other: dict[tuple[str, str], list[float]] = {}
    pythons = sorted({t.python for t in tools})
    for _ in range(runs):  # interleaved so that drift hits every statement alike
        bare: dict[str, set[str]] = {}
        for python in pythons:
            walls.setdefault(("pass", python), []).append(_wall_s("pass", workdir, python))
            bare[python] = set(_importtime("pass", workdir, python))
        for tool in tools:
            py = tool.python
            for code in (tool.import_stmt, tool.from_stmt):
                walls.setdefault((code, py), []).append(_wall_s(code, workdir, py))
            added = _importtime(tool.import_stmt, workdir, py)
            us = sum(v for k, v in added.items() if k not in bare[py])
            other.setdefault((tool.import_stmt, py), []).append(us / 1000)
            other.setdefault((tool.from_stmt, py), []).append(
                _inproc_ms(tool.from_stmt, workdir, py)
            )
    out: dict[str, dict[str, list[float]]] = {}
    for tool in tools:
        py = tool.python
        bare_s = statistics.median(walls[("pass", py)])
        out[tool.label] = {
            "import_wall_ms": [(w - bare_s) * 1000 for w in walls[(tool.import_stmt, py)]],
            "import_importtime_ms": other[(tool.import_stmt, py)],
            "from_wall_ms": [(w - bare_s) * 1000 for w in walls[(tool.from_stmt, py)]],
            "from_inproc_ms": other[(tool.from_stmt, py)],
        }
    return out


# -- 2. latency and 4. memory ----------------------------------------------------


def _lifecycle_code(tool: Tool, interval_s: float, outdir: str, settle_s: float) -> str:
    make = tool.make.format(interval=interval_s, outdir=outdir)
    return f"""{_RSS}
import time
_r0 = _rss_b()
_ti = time.perf_counter()
{tool.from_stmt}
_r1 = _rss_b()
_t0 = time.perf_counter()
_tr = {make}
_t1 = time.perf_counter()
_tr.start()
_t2 = time.perf_counter()
time.sleep({settle_s})
_r2 = _rss_b()
_t3 = time.perf_counter()
_tr.stop()
_t4 = time.perf_counter()
{
        _report(
            "ctor_ms=(_t1-_t0)*1e3, start_ms=(_t2-_t1)*1e3, stop_ms=(_t4-_t3)*1e3, "
            "cycle_ms=(_t2-_ti+_t4-_t3)*1e3, "
            "rss_import_mb=(_r1-_r0)/1e6, rss_started_mb=(_r2-_r0)/1e6"
        )
    }
"""


def measure_lifecycle(
    tools: list[Tool], runs: int, workdir: str
) -> dict[str, dict[str, list[float]]]:
    """Construct, start, sleep 2.5 s at interval 1 s (a few samples), stop; per fresh process."""
    out: dict[str, dict[str, list[float]]] = {t.label: {} for t in tools}
    for _ in range(runs):
        for tool in tools:
            code = _lifecycle_code(tool, 1, workdir, 2.5)
            for key, value in run_child(code, workdir, tool.python).items():
                out[tool.label].setdefault(key, []).append(value)
    return out


# -- 3. CPU ------------------------------------------------------------------------

_CPU = """
import resource
def _cpu_s():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime
"""


def _cpu_code(tool: Tool | None, interval_s: float, outdir: str, seconds: float) -> str:
    setup = start = stop = ""
    if tool is not None:
        setup = f"{tool.from_stmt}\n_tr = {tool.make.format(interval=interval_s, outdir=outdir)}"
        start, stop = "_tr.start()", "_tr.stop()"
    return f"""{_CPU}
import time
{setup}
{start}
_c0, _w0 = _cpu_s(), time.perf_counter()
time.sleep({WARMUP_S})
_cw, _ww = _cpu_s(), time.perf_counter()
time.sleep({seconds - WARMUP_S})
_c1, _w1 = _cpu_s(), time.perf_counter()
{stop}
{_report("cpu_s=_c1-_c0, wall_s=_w1-_w0, steady_cpu_s=_c1-_cw, steady_wall_s=_w1-_ww")}
"""


def measure_cpu(
    tools: list[Tool], runs: int, seconds: float, workdir: str
) -> dict[str, dict[str, list[float]]]:
    """Per tool and interval, the CPU % of one core above an idle sleeper's, for each run.

    The idle sleeper runs alongside each tracker (a sleeping process competes for
    nothing); the trackers themselves run one after another, never together.
    """
    raw: dict[tuple[str, str], list[float]] = {}
    base: dict[str, list[float]] = {"": [], "_steady": []}
    for i in range(runs):
        for interval_name in ("1s", "default"):
            for tool in tools:
                interval = 1.0 if interval_name == "1s" else tool.default_interval_s
                print(
                    f"  cpu run {i + 1}/{runs}: {tool.label} at {interval:g} s, {seconds:g} s ...",
                    file=sys.stderr,
                    flush=True,
                )
                tracked = _child(
                    _cpu_code(tool, interval, workdir, seconds), workdir, python=tool.python
                )
                idle = _child(_cpu_code(None, interval, workdir, seconds), workdir)
                r, b = _result(tracked), _result(idle)
                for suffix, prefix in (("", ""), ("_steady", "steady_")):
                    frac = r[f"{prefix}cpu_s"] / r[f"{prefix}wall_s"]
                    raw.setdefault((tool.label, interval_name + suffix), []).append(frac)
                    base[suffix].append(b[f"{prefix}cpu_s"] / b[f"{prefix}wall_s"])
    base_frac = {part: statistics.median(values) for part, values in base.items()}
    out: dict[str, dict[str, list[float]]] = {t.label: {} for t in tools}
    for (label, name), fracs in raw.items():
        idle = base_frac["_steady" if name.endswith("_steady") else ""]
        out[label][f"cpu_{name}_pct"] = [(f - idle) * 100 for f in fracs]
    for tool in tools:
        out[tool.label]["baseline_pct"] = [base_frac[""] * 100]
    return out


# -- profile of start() --------------------------------------------------------------


def profile_start(tool: Tool, workdir: str, top: int) -> str:
    code = f"""
import cProfile, io, pstats
{tool.from_stmt}
_tr = {tool.make.format(interval=1, outdir=workdir)}
_p = cProfile.Profile()
_p.enable(); _tr.start(); _p.disable()
_tr.stop()
_s = io.StringIO()
pstats.Stats(_p, stream=_s).sort_stats('cumulative').print_stats({top})
print(_s.getvalue())
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=workdir, env=_env(), capture_output=True, text=True
    )
    return proc.stdout if proc.returncode == 0 else proc.stderr


# -- report ------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a metric, its runs per tool and wattprint's target."""

    key: str
    name: str
    unit: str
    target: float | None = None
    runs: dict[str, list[float]] = field(default_factory=dict)

    def median(self, label: str) -> float | None:
        values = self.runs.get(label)
        return statistics.median(values) if values else None


ROWS = [
    ("import_wall_ms", "`import <pkg>`, wall time added", "ms", 20.0),
    ("import_importtime_ms", "`import <pkg>`, -X importtime cumulative", "ms", 20.0),
    # Issue 12's targets: the import of the tracker at most 1/3 of CodeCarbon's, the
    # constructor under 5 ms, and import + constructor + start() + stop() at least 20x
    # faster than CodeCarbon's: compare the ratio column. What a run needs loads at its
    # first start() (the result's machinery with its first result), not at import.
    ("from_wall_ms", "`from <pkg> import <Tracker>`, wall time added", "ms", None),
    ("from_inproc_ms", "`from <pkg> import <Tracker>`, timed in-process", "ms", None),
    ("ctor_ms", "constructor", "ms", 5.0),
    ("start_ms", "start()", "ms", None),
    ("stop_ms", "stop()", "ms", None),
    ("cycle_ms", "import + constructor + start() + stop(), in-process", "ms", None),
    ("cpu_1s_pct", "CPU at interval 1 s", "% of one core", 0.1),
    (
        "cpu_1s_steady_pct",
        "CPU at interval 1 s, leaving out the first {warmup:g} s",
        "% of one core",
        0.1,
    ),
    (
        "cpu_default_pct",
        "CPU at default interval (wp {wp:g} s, CC {cc:g} s)",
        "% of one core",
        None,
    ),
    ("rss_import_mb", "RSS added by the import", "MB", None),
    ("rss_started_mb", "RSS added by import + start (after 2.5 s at 1 s)", "MB", 10.0),
]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.1f}"


def _ratio(value: float) -> str:
    return f"{value:.1f}x" if abs(value) >= 1 else f"{value:.2g}x"


def render(rows: list[Row], labels: list[str]) -> str:
    cc = labels[1] if len(labels) > 1 else None
    head = ["metric", "wattprint", "target", *([cc, f"{cc} / wattprint"] if cc else [])]
    lines = [head]
    for row in rows:
        wp = row.median("wattprint")
        target = "-"
        if row.target is not None and wp is not None:
            target = f"< {row.target:g} ({'ok' if wp < row.target else 'MISS'})"
        cells = [f"{row.name} ({row.unit})", _fmt(wp), target]
        if cc:
            other = row.median(cc)
            ratio = "-" if other is None or wp is None or wp <= 0 else _ratio(other / wp)
            cells += [_fmt(other), ratio]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="tracked sleep per CPU run")
    parser.add_argument("--quick", action="store_true", help="10 s CPU runs")
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per latency figure")
    parser.add_argument("--import-runs", type=int, default=15, help="repetitions per import")
    parser.add_argument("--cpu-runs", type=int, default=3, help="repetitions per CPU figure")
    parser.add_argument("--mode", default="process", help="wattprint's mode (process, machine)")
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--no-codecarbon", action="store_true", help="measure wattprint only")
    parser.add_argument(
        "--codecarbon", metavar="PYTHON", help="a Python that has codecarbon (default: this one)"
    )
    parser.add_argument("--profile-start", action="store_true", help="cProfile each start()")
    args = parser.parse_args(argv)
    seconds = 10.0 if args.quick else args.seconds
    if seconds <= WARMUP_S:
        parser.error(f"--seconds must be more than {WARMUP_S:g}, not {seconds:g}")
    # Bytecode first: PYTHONDONTWRITEBYTECODE (set in some environments) would
    # make every child compile the package again, and its import look slower.
    compileall.compile_dir(str(SRC), quiet=1)
    cc_python = args.codecarbon or sys.executable
    cc_version = None if args.no_codecarbon else codecarbon_version(cc_python)
    has_cc = cc_version is not None
    tools = make_tools(args.mode, has_cc, cc_python)
    labels = [t.label for t in tools]
    import wattprint  # the one measured: maybe a checkout's, not installed here

    versions = {"wattprint": wattprint.__version__}
    if cc_version is not None:
        versions["CodeCarbon"] = cc_version

    with tempfile.TemporaryDirectory(prefix="wattprint-overhead-") as workdir:
        log = sys.stderr
        print(f"import: {args.import_runs} runs ...", file=log, flush=True)
        results = [measure_import(tools, args.import_runs, workdir)]
        print(f"latency and memory: {args.runs} runs ...", file=log, flush=True)
        results.append(measure_lifecycle(tools, args.runs, workdir))
        print(f"cpu: {args.cpu_runs} runs of {seconds:g} s per figure ...", file=log, flush=True)
        results.append(measure_cpu(tools, args.cpu_runs, seconds, workdir))
        profiles = (
            {t.label: profile_start(t, workdir, 15) for t in tools} if args.profile_start else {}
        )

    rows = []
    defaults = {
        "wp": tools[0].default_interval_s,
        "cc": CODECARBON_DEFAULT_INTERVAL_S,
        "warmup": WARMUP_S,
    }
    for key, name, unit, target in ROWS:
        row = Row(key, name.format(**defaults), unit, target)
        for part in results:
            for label, metrics in part.items():
                if key in metrics:
                    row.runs[label] = metrics[key]
        rows.append(row)
    baseline_pct = results[2]["wattprint"]["baseline_pct"][0]

    env = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "versions": versions,
        "seconds": seconds,
        "runs": {"import": args.import_runs, "latency": args.runs, "cpu": args.cpu_runs},
        "wattprint_mode": args.mode,
        "idle_baseline_pct": baseline_pct,
    }
    if args.json:
        metrics = {
            r.key: {
                "name": r.name,
                "unit": r.unit,
                "target": r.target,
                **{
                    label: {"median": r.median(label), "runs": r.runs.get(label, [])}
                    for label in labels
                },
            }
            for r in rows
        }
        print(json.dumps({"environment": env, "metrics": metrics, "profiles": profiles}, indent=2))
        return
    print(render(rows, labels))
    print(
        f"\nmedians; import x{args.import_runs}, latency/memory x{args.runs} fresh processes, "
        f"CPU x{args.cpu_runs} runs of {seconds:g} s (idle sleeper {baseline_pct:.4f} % subtracted)"
    )
    print(
        f"{', '.join(f'{k} {v}' for k, v in versions.items())}; wattprint mode={args.mode}; "
        f"Python {env['python']}; {env['platform']}; {env['cpu_count']} CPUs"
    )
    if has_cc and seconds < CODECARBON_DEFAULT_INTERVAL_S:
        print(
            f"note: {seconds:g} s is shorter than CodeCarbon's default interval; "
            "its default-interval CPU figure holds no sample"
        )
    for label, text in profiles.items():
        print(f"\n--- cProfile of {label} start() ---\n{text}")


if __name__ == "__main__":
    main()

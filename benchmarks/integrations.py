"""Overheads of the integrations: training callbacks, the pytest plugin, ``%load_ext``.

    python benchmarks/integrations.py [--steps N] [--tests N]

Targets: the callbacks add under 1 % to a training step of 10 ms; the pytest
plugin adds under 1 ms per test; ``%load_ext wattprint`` takes under 50 ms.
Prints figures; asserts nothing. The callback figure drives the shared
training monitor as a Trainer does (hooks every step, a log every 10 steps,
an epoch every 100) around 10 ms steps of busy work; the pytest figure runs
the same file of empty tests with and without ``--wattprint``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = str(Path(__file__).resolve().parents[1] / "src")


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


LOG_EVERY = 50
"""Steps between two logs (the Trainer's ``logging_steps``; its default is 500)."""


def callbacks(steps: int) -> None:
    from wattprint.integrations.monitor import TrainingMonitor

    def train(monitor: TrainingMonitor | None) -> float:
        t0 = time.perf_counter()
        if monitor:
            monitor.begin()
        for step in range(steps):
            if monitor and step % 100 == 0:
                monitor.epoch_begin(step // 100 + 1)
            if monitor:
                monitor.step_begin(step)
            _busy(0.010)
            if monitor:
                monitor.step_end()
                if step % LOG_EVERY == LOG_EVERY - 1:
                    monitor.figures()
                if step % 100 == 99:
                    monitor.epoch_end()
        if monitor:
            monitor.end()
        return time.perf_counter() - t0

    bare = train(None)
    monitor = TrainingMonitor(country="FR", save_to_file=False, handle_signals=False)
    monitor.tracker  # noqa: B018 (made before timing, as a callback's is at train begin)
    tracked = train(monitor)
    overhead = (tracked - bare) / bare * 100
    print(f"callbacks: {steps} steps of 10 ms, a log every {LOG_EVERY} steps, bare {bare:.3f} s, "
          f"tracked {tracked:.3f} s: {overhead:+.2f} %   (target < 1 %)")
    monitor = TrainingMonitor(country="FR", save_to_file=False, handle_signals=False)
    monitor.begin()
    t0 = time.perf_counter()
    for _ in range(100):
        monitor.figures()
    one_log_ms = (time.perf_counter() - t0) * 10
    monitor.end()
    print(f"  one log of the figures (a full interim result): {one_log_ms:.2f} ms")


def pytest_plugin(tests: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "test_many.py"
        path.write_text("".join(f"def test_{i}():\n    pass\n" for i in range(tests)))
        env = {**os.environ, "PYTHONPATH": SRC, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
               "WATTPRINT_COUNTRY": "FR"}  # fmt: skip
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                "-p", "wattprint.integrations.pytest_plugin", str(path)]  # fmt: skip

        def timed(*extra: str) -> float:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                subprocess.run([*base, *extra], env=env, cwd=folder, check=True,
                               capture_output=True)  # fmt: skip
                best = min(best, time.perf_counter() - t0)
            return best

        off, on = timed(), timed("--wattprint")
    per_test_ms = (on - off) / tests * 1000
    print(f"pytest plugin: {tests} tests, off {off:.3f} s, --wattprint {on:.3f} s: "
          f"{per_test_ms:.3f} ms per test (incl. the session's start)   (target < 1 ms)")


def load_ext() -> None:
    code = (
        "import time\nfrom IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\nt0 = time.perf_counter()\n"
        "ip.run_cell('%load_ext wattprint')\nprint((time.perf_counter() - t0) * 1000)\n"
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    runs = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()[-1])
            for _ in range(5)]  # fmt: skip
    print(f"%load_ext wattprint: best {min(runs):.1f} ms, worst {max(runs):.1f} ms of 5 "
          f"fresh interpreters   (target < 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--tests", type=int, default=1000)
    args = parser.parse_args()
    callbacks(args.steps)
    pytest_plugin(args.tests)
    try:
        load_ext()
    except (subprocess.CalledProcessError, ValueError) as err:
        print(f"%load_ext wattprint: not measured ({err}); is IPython installed?")


if __name__ == "__main__":
    main()

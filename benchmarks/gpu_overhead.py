"""What the GPU sources cost: CPU of power polling at 10 Hz, time of one counter read.

Run: PYTHONPATH=src python benchmarks/gpu_overhead.py [--seconds 10]

Uses the fake NVML of tests/fakes (replaying tests/fixtures/nvml) on the real monotonic clock,
so the figures are wattprint's own cost: its thread, locking, trapezoid integration and reading
objects, plus the fake's trace lookup. On a real GPU each NVML call adds the driver's cost (an
ioctl, typically tens of microseconds: see "per NVML call" to scale). Targets: polling < 0.5 %
of one core per GPU; one counter read < 1 ms per GPU.

Also prints how long the probes take on this machine as it is (no driver: pynvml's nvmlInit
fails to load libnvidia-ml.so.1; no amdsmi).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fakes.fake_nvml import FakeNvml  # noqa: E402

from wattprint.power.gpu.amd import probe_amd  # noqa: E402
from wattprint.power.gpu.nvidia import NvidiaSource, probe_nvidia  # noqa: E402


def median_us(fn: Callable[[], object], repeats: int = 2000) -> float:
    for _ in range(100):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def cpu_percent_while(seconds: float, setup: Callable[[], Callable[[], None]]) -> float:
    """CPU time of this process over ``seconds`` of idle main thread, as % of one core."""
    stop = setup()
    cpu0, wall0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    stop()
    return 100 * cpu / wall


def open_source(machine: str, *, counters: bool, interval_s: float | None) -> NvidiaSource:
    fake = FakeNvml(machine, clock=time.monotonic)
    if not counters:
        fake.counter_supported = [False] * len(fake.gpus)
    outcome = probe_nvidia({}, nvml=fake, poll_interval_s=interval_s)
    source = outcome.sources[0]
    assert isinstance(source, NvidiaSource), outcome.reason
    return source


def polling(machine: str) -> Callable[[], Callable[[], None]]:
    """Return a setup that opens a polled source (10 Hz) and returns its close."""

    def setup() -> Callable[[], None]:
        return open_source(machine, counters=False, interval_s=0.1).close

    return setup


def main(seconds: float) -> None:
    idle = cpu_percent_while(seconds, lambda: lambda: None)
    print(f"idle process (baseline): {idle:.3f} % of one core")
    for machine, gpus in (("p100", 1), ("a40x2", 2)):
        busy = cpu_percent_while(seconds, polling(machine))
        per_gpu = (busy - idle) / gpus
        print(f"power polling at 10 Hz, {gpus} GPU(s): {busy - idle:.3f} % of one core "
              f"= {per_gpu:.3f} % per GPU (target < 0.5 %)")
    polled = open_source("a40x2", counters=False, interval_s=None)
    print(f"one polled read(), 2 GPUs (a power sample + integration): "
          f"{median_us(polled.read):.1f} us")
    polled.close()
    for machine, gpus in (("v100", 1), ("a40x2", 2)):
        source = open_source(machine, counters=True, interval_s=None)
        us = median_us(source.read)
        print(f"one counter read(), {gpus} GPU(s): {us:.1f} us = {us / gpus:.1f} us per GPU "
              "(target < 1000 us)")
        source.close()
    fake = FakeNvml("v100", clock=time.monotonic)
    fake.nvmlInit()
    handle = fake.nvmlDeviceGetHandleByIndex(0)
    print(f"per NVML call of the fake (subtract, then add the driver's): "
          f"{median_us(lambda: fake.nvmlDeviceGetTotalEnergyConsumption(handle)):.1f} us")
    start = time.perf_counter()
    outcome = probe_nvidia({})
    print(f"probe_nvidia on this machine: {(time.perf_counter() - start) * 1000:.1f} ms "
          f"({outcome.reason})")
    start = time.perf_counter()
    outcome = probe_amd({})
    print(f"probe_amd on this machine: {(time.perf_counter() - start) * 1000:.1f} ms "
          f"({outcome.reason})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each CPU run")
    main(parser.parse_args().seconds)

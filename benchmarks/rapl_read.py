"""Time RaplSource.read() on the recorded powercap tree.

Run: PYTHONPATH=src python benchmarks/rapl_read.py [repeats]

Prints the median time of one read() of the cpu source (two package counters) and
of the ram source (two dram counters), and, for comparison, of reading the same
two package files by reopening them each time. The fixture lives on an ordinary
filesystem: on real sysfs each counter read also costs the kernel an MSR read
(an IPI to a CPU of that package when the reader runs elsewhere).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wattprint.power.cpu.rapl import RaplSource, probe_rapl

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "rapl"


def median_us(fn: Callable[[], object], repeats: int) -> float:
    for _ in range(100):  # warm up
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def main(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(shutil.copytree(FIXTURE, Path(tmp) / "rapl"))
        outcome = probe_rapl(root, env={})
        sources = {s.name: s for s in outcome.sources if isinstance(s, RaplSource)}
        cpu, ram = sources["rapl-package"], sources["rapl-dram"]
        paths = [root / "intel-rapl" / f"intel-rapl:{i}" / "energy_uj" for i in (0, 1)]

        def reopen() -> list[int]:
            return [int(p.read_bytes()) for p in paths]

        print(f"RaplSource.read(), 2 package counters: {median_us(cpu.read, repeats):7.2f} us")
        print(f"RaplSource.read(), 2 dram counters:    {median_us(ram.read, repeats):7.2f} us")
        print(f"reopen-per-read of the same 2 files:   {median_us(reopen, repeats):7.2f} us")
        print(f"(median of {repeats} calls, Python {sys.version.split()[0]})")
        cpu.close()
        ram.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)

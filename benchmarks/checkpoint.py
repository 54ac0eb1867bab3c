"""Time one checkpoint of a running run (build the interim result, write the journal).

    python benchmarks/checkpoint.py [--runs N]

Target: under 2 ms per checkpoint. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from wattprint import Tracker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        tracker = Tracker(country="FR", output_dir=Path(out), interval_s=3600, checkpoint_s=3600)
        tracker.start()
        with tracker.task("epoch"):
            time.sleep(0.05)
        tracker._checkpoint()  # first call loads what later calls reuse
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            tracker._checkpoint()
            times.append((time.perf_counter() - t0) * 1000)
        tracker.stop()
    times.sort()
    print(f"checkpoint (interim result + atomic journal write), {args.runs} runs:")
    print(f"  median {statistics.median(times):.3f} ms, p95 {times[int(0.95 * len(times))]:.3f} ms"
          f"   (target < 2 ms)")


if __name__ == "__main__":
    main()

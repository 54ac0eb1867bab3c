"""Time offline place and intensity resolution (first call, then later calls).

    python benchmarks/grid_resolve.py

Prints the median of later calls for: an explicit country, an explicit
cloud region, and discovery (DMI, time zone) with nothing set. Target: under
5 ms after the first call in a process. Prints figures; asserts nothing.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from wattprint.grid.plan import plan_grid
from wattprint.settings.resolve import resolve_settings


def timed(label: str, args: dict[str, object], repeat: int = 50) -> None:
    settings = resolve_settings({"save_to_file": False, **args}, env={}, cwd=Path("/"))
    t0 = time.perf_counter()
    plan_grid(settings, env={})
    first_ms = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        plan = plan_grid(settings, env={})
        times.append((time.perf_counter() - t0) * 1000)
    print(f"{label:<34} first {first_ms:7.2f} ms   then median {statistics.median(times):6.3f} ms"
          f"   ({plan.location.country_iso3}, {plan.intensity.intensity_g_per_kwh:g} g/kWh)")


if __name__ == "__main__":
    timed("country='FR'", {"country": "FR"})
    timed("region='US-CA'", {"region": "US-CA"})
    timed("cloud='gcp:europe-west1'", {"cloud": "gcp:europe-west1"})
    timed("nothing set (DMI, time zone)", {})

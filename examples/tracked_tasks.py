"""Track a block of Python with tasks, and read the result and its methodology.

    python examples/tracked_tasks.py
"""

from __future__ import annotations

import hashlib
import time

from wattprint import Tracker


def crunch(seconds: float) -> None:
    """Hash bytes for ``seconds`` of CPU time."""
    digest, start = b"x", time.process_time()
    while time.process_time() - start < seconds:
        digest = hashlib.sha256(digest).digest()


if __name__ == "__main__":
    with Tracker(project="example", country="FR", interval_s=1.0) as tracker:
        for epoch in range(2):
            with tracker.task(f"epoch-{epoch}"):
                crunch(0.5)
    result = tracker.result
    assert result is not None
    print(f"run {result.run_id}: {result.energy_kwh * 1000:.4f} Wh, "
          f"{result.emissions_kg * 1e6:.2f} mg CO2e")
    for task in result.tasks:
        print(f"  {task.name}: {task.energy_kwh * 1000:.4f} Wh")
    for component in result.methodology.components:
        how = "measured" if component.measured else "estimated"
        print(f"  {component.component}: {component.method} ({how}) - {component.detail}")
    print(f"  intensity: {result.methodology.intensity.detail}")

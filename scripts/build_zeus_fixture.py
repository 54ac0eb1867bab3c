"""Build tests/fixtures/zeus/epochs.csv from the Zeus NSDI'23 GPU traces.

The traces (Apache-2.0, github.com/ml-energy/zeus, examples/research_reproducibility/
zeus_nsdi23/trace/, commit 75a8b93) give, per GPU and training configuration, the
measured time per epoch and the mean NVML power, and, per configuration, the epochs
needed to reach a target metric. Each row written here is one configuration at its
highest power limit with the epoch energy (time x power) and the largest target epoch
count of that configuration: the real scale of a training run, used by the
prediction tests as the base of per-epoch series.

Usage: python scripts/build_zeus_fixture.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "zeus" / "epochs.csv"


def main(shared: Path) -> None:
    traces = shared / "zeus-traces"
    epochs: dict[tuple[str, str, str, str], int] = {}
    with open(traces / "summary_train.csv", newline="") as f:
        for row in csv.DictReader(f):
            key = (row["dataset"], row["network"], row["batch_size"], row["optimizer"])
            target = float(row["target_epoch"] or "nan")
            if target == target:  # runs that never reached the target have NaN
                epochs[key] = max(epochs.get(key, 0), int(target))
    rows = []
    for gpu in ("a40", "p100", "rtx6000", "v100"):
        best: dict[tuple[str, str, str, str], dict[str, str]] = {}
        with open(traces / f"summary_power_{gpu}.csv", newline="") as f:
            for row in csv.DictReader(f):
                key = (row["dataset"], row["network"], row["batch_size"], row["optimizer"])
                if key not in best or float(row["power_limit"]) > float(best[key]["power_limit"]):
                    best[key] = row
        for key, row in sorted(best.items()):
            if epochs.get(key, 0) < 5:
                continue  # too short a run to predict from 20 % of it
            seconds = float(row["time_per_epoch"])
            rows.append({
                "gpu": gpu, "dataset": key[0], "network": key[1], "batch_size": key[2],
                "optimizer": key[3], "power_limit_w": row["power_limit"],
                "epoch_s": f"{seconds:.3f}",
                "epoch_energy_j": f"{seconds * float(row['average_power']):.1f}",
                "epochs": str(epochs[key]),
            })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} configurations to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")

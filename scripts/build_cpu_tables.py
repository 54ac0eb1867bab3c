"""Build the CPU power tables in ``src/wattprint/power/data/`` from CodeCarbon's data.

Writes two files:

- ``cpu_tdp.csv``: one row per CPU model of CodeCarbon's ``cpu_power.csv``
  (name, TDP per package in W), with the hardware thread and core counts
  where CodeCarbon's scraped vendor tables give them (AMD product pages:
  ``# of Threads`` and ``# of CPU Cores``; Intel ARK: ``total_cores``, which
  counts cores, not threads), else the threads per chip of the SPECpower
  results collected by Cloud Carbon Footprint (``Total Threads / Chips``).
- ``cpu_defaults.csv``: the default TDP per hardware thread (the median
  TDP / threads over the models whose thread count is known) and the load
  curve: fraction of TDP drawn at CPU loads 0, 10, ..., 100 %, from
  CodeCarbon's RAPL load-profiling runs (``*all_cores*.csv``); the model's
  error band against RAPL on those same runs (``model_to_rapl_low`` /
  ``_high``); the median threads per chip of recent SPECpower servers
  (``default_chip_threads``).

Inputs are from CodeCarbon (MIT) and Cloud Carbon Footprint (Apache-2.0). Run
from the repository root (defaults point at ``../shared/data``)::

    python scripts/build_cpu_tables.py
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
from collections import defaultdict
from itertools import pairwise
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HARDWARE = REPO_ROOT.parent / "shared" / "data" / "codecarbon" / "hardware"
OUT_DIR = REPO_ROOT / "src" / "wattprint" / "power" / "data"
CURVE_LOADS_PCT = tuple(range(0, 101, 10))

# The same normalisation as wattprint.power.cpu.models (kept standalone so that
# this script runs without the package installed).
_MARKS = re.compile(r"\((?:r|tm|c)\)|[®™©]", re.IGNORECASE)
_WITH = re.compile(r"\s(?:with|w/)\s.*$", re.IGNORECASE)
_FREQ = re.compile(r"@?\s*\d+(?:\.\d+)?\s*[gm]hz\b", re.IGNORECASE)
_N_CORE = re.compile(
    r"\b(?:\d+|dual|triple|quad|six|eight|ten|twelve|sixteen)[- ]core\b", re.IGNORECASE
)
_GEN = re.compile(r"\b\d+(?:st|nd|rd|th)\s+gen\b", re.IGNORECASE)
_NOISE = frozenset({"cpu", "processor", "apu", "intel", "amd"})


def normalize(name: str) -> str:
    """Return the matching key of a CPU name (see ``wattprint.power.cpu.models``)."""
    text = _MARKS.sub(" ", name)
    text = re.sub(r"(?<=\w)\s+-(?=\w)", "-", text)  # 'FX(tm)-8350' -> 'FX-8350'
    text = _WITH.sub(" ", text)
    text = _FREQ.sub(" ", text)
    text = _N_CORE.sub(" ", text)
    text = _GEN.sub(" ", text)
    text = re.sub(r"[(),]", " ", text).lower()
    return " ".join(token for token in text.split() if token not in _NOISE)


def clean_name(name: str) -> str:
    """Collapse odd spaces (no-break, zero-width) and runs of spaces in a table name."""
    return " ".join(name.replace("\u200b", "").replace("\xa0", " ").split())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _int_or_none(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _counts(rows: list[dict[str, str]], name_col: str, col: str) -> dict[str, int]:
    """Return normalized name -> count, dropping names whose sources disagree."""
    seen: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        value = _int_or_none(row.get(col, ""))
        if value is not None:
            seen[normalize(row[name_col])].add(value)
    conflicts = sorted(key for key, values in seen.items() if len(values) > 1)
    if conflicts:
        print(f"  {col}: {len(conflicts)} names with conflicting counts dropped: {conflicts[:5]}")
    return {key: next(iter(values)) for key, values in seen.items() if len(values) == 1}


def specpower_threads(specpower: Path) -> tuple[dict[str, int], int]:
    """Return normalized CPU name -> most threads per chip seen, and the recent median.

    SPECpower results give ``Total Threads`` and ``Chips`` per tested server;
    a chip tested with SMT off reads fewer threads, so the largest count per
    CPU is kept (what the chip offers). The median is over results published
    in 2020 or later, one value per result.
    """
    best: dict[str, int] = {}
    recent: list[int] = []
    for row in _read_csv(specpower):
        chips = _int_or_none(row.get("Chips", ""))
        threads = _int_or_none(row.get("Total Threads", ""))
        if chips is None or threads is None or threads % chips:
            continue
        per_chip = threads // chips
        key = normalize(row["CPU Description"])
        best[key] = max(best.get(key, 0), per_chip)
        year = row.get("Published", "")[-4:]
        if year.isdigit() and int(year) >= 2020:
            recent.append(per_chip)
    return best, int(statistics.median(recent))


def build_tdp_table(
    hardware: Path, output: Path, spec_threads: dict[str, int] | None = None
) -> list[tuple[str, float, int | None]]:
    """Write ``cpu_tdp.csv``; return (normalized name, TDP W, threads) per distinct model."""
    builder = hardware / "cpu_dataset_builder"
    intel = _read_csv(builder / "intel_cpu_ark_dataset.csv")
    amd = _read_csv(builder / "amd_cpu_desktop_dataset.csv")
    amd += _read_csv(builder / "amd_cpu_server_dataset.csv")
    amd_threads = _counts(amd, "Name", "# of Threads")
    amd_cores = _counts(amd, "Name", "# of CPU Cores")
    intel_cores = _counts(intel, "cpu_name", "total_cores")

    rows: list[tuple[str, str, str, str, str]] = []
    seen_names: set[str] = set()
    duplicates = 0
    unreadable: list[str] = []
    per_model: dict[str, tuple[float, int | None]] = {}
    for row in _read_csv(hardware / "cpu_power.csv"):
        name = clean_name(row["Name"])
        try:
            tdp_w = float(row["TDP"])
        except ValueError:
            unreadable.append(f"{name} ({row['TDP']!r})")
            continue
        if tdp_w <= 0:
            unreadable.append(f"{name} ({row['TDP']!r})")
            continue
        if name.lower() in seen_names:
            duplicates += 1
            continue
        seen_names.add(name.lower())
        key = normalize(name)
        threads = amd_threads.get(key)
        cores = amd_cores.get(key) if threads is not None else intel_cores.get(key)
        source = "codecarbon"
        if threads is not None:
            source = "codecarbon+amd"
        elif spec_threads and key in spec_threads:
            threads = spec_threads[key]
            source = "codecarbon+specpower" + ("+intel-ark" if cores else "")
        elif cores is not None:
            source = "codecarbon+intel-ark"
        rows.append((name, f"{tdp_w:g}", str(threads or ""), str(cores or ""), source))
        per_model.setdefault(key, (tdp_w, amd_threads.get(key)))  # the default: AMD's counts

    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        handle.write("# CPU TDP per package (W), with hardware threads and cores where known.\n")
        handle.write("# Source: CodeCarbon (MIT), codecarbon/data/hardware/cpu_power.csv and\n")
        handle.write(
            "# cpu_dataset_builder/*.csv (AMD product pages, Intel ARK); threads per chip\n"
            "# also from SPECpower via Cloud Carbon Footprint (Apache-2.0). See SOURCES.md.\n"
        )
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("name", "tdp_w", "threads", "cores", "source"))
        writer.writerows(rows)
    with_threads = sum(1 for row in rows if row[2])
    with_cores = sum(1 for row in rows if row[3])
    print(f"wrote {output}: {len(rows)} rows ({duplicates} duplicate names dropped)")
    if unreadable:
        print(f"  {len(unreadable)} rows with an unreadable TDP skipped: {', '.join(unreadable)}")
    by_source = {src: sum(1 for row in rows if row[4] == src) for src in {r[4] for r in rows}}
    print(f"  rows with threads: {with_threads}; rows with cores: {with_cores}; {by_source}")
    return [(key, tdp, threads) for key, (tdp, threads) in per_model.items()]


def model_error_band(
    profiling: Path,
    tdp_by_key: dict[str, float],
    threads_by_key: dict[str, int],
    curve: list[tuple[int, float]],
) -> tuple[float, float, list[str]]:
    """Return the lowest and highest ratio of modelled to RAPL power on the profiles.

    The model is TDP x sockets x curve(load), evaluated at every step of the
    load profiles the curve was fitted on (``all_cores`` and ``some_cores``),
    except each run's first step, whose RAPL reading is an artefact (0.2-1.4 W).
    Sockets = threads used by the run / threads of one chip, when both are known.
    """
    points = [(pct / 100.0, fraction) for pct, fraction in curve]
    ratios: list[float] = []
    notes: list[str] = []
    for path in sorted(profiling.glob("*/*_cores*.csv")):
        if path.name.endswith("-tasks.csv"):
            continue
        data = _read_csv(path)
        key = normalize(data[0]["cpu_name"]) if data else ""
        if key not in tdp_by_key:
            continue
        chip_threads = threads_by_key.get(key)
        used = _int_or_none(data[0]["cores_used"])
        sockets = max(1, used // chip_threads) if used and chip_threads else 1
        run = [
            tdp_by_key[key]
            * sockets
            * _interpolate(points, float(r["cpu_load"]) / 100.0)
            / float(r["rapl_power"])
            for r in data[1:]
            if float(r["rapl_power"]) > 0
        ]
        ratios += run
        notes.append(
            f"{path.parent.name}/{data[0]['load_type']}: {sockets} socket(s), "
            f"model/RAPL {min(run):.2f}-{max(run):.2f}"
        )
    return min(ratios), max(ratios), notes


def default_w_per_thread(models: list[tuple[str, float, int | None]]) -> tuple[float, int]:
    """Return the median TDP per thread (W) over distinct models with known threads."""
    ratios = [tdp / threads for _, tdp, threads in models if threads]
    return statistics.median(ratios), len(ratios)


def _interpolate(points: list[tuple[float, float]], x: float) -> float:
    """Linear interpolation in sorted points, clamped to the end values."""
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in pairwise(points):
        if x <= x1:
            return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def load_curve(
    profiling: Path, tdp_by_key: dict[str, float]
) -> tuple[list[tuple[int, float]], list[str]]:
    """Return the averaged load curve (load %, fraction) and one note line per CPU."""
    runs: dict[str, list[list[float]]] = defaultdict(list)
    notes: list[str] = []
    for path in sorted(profiling.glob("*/*all_cores*.csv")):
        if path.name.endswith("-tasks.csv"):
            continue
        data = _read_csv(path)
        if not data:
            continue
        cpu = data[0]["cpu_name"].strip()
        points = sorted((float(r["cpu_load"]), float(r["rapl_power"])) for r in data)
        max_w = max(power for _, power in points)
        shape = [(load, power / max_w) for load, power in points]
        runs[cpu].append([_interpolate(shape, pct) for pct in CURVE_LOADS_PCT])
        tdp = tdp_by_key.get(normalize(cpu))
        ratio = f"{max_w / tdp:.2f} x TDP {tdp:g} W" if tdp else "TDP unknown"
        notes.append(
            f"{path.parent.name}/{cpu}: max RAPL {max_w:.1f} W ({ratio}), "
            f"{len(points)} steps, threads used {data[0]['cores_used']}"
        )
    per_cpu = [
        [statistics.fmean(col) for col in zip(*curves, strict=True)] for curves in runs.values()
    ]
    mean = [statistics.fmean(col) for col in zip(*per_cpu, strict=True)]
    monotone: list[float] = []
    for value in mean:
        monotone.append(max(value, monotone[-1]) if monotone else value)
    top = monotone[-1]
    curve = [
        (pct, round(value / top, 4)) for pct, value in zip(CURVE_LOADS_PCT, monotone, strict=True)
    ]
    notes.append(f"{len(runs)} CPUs, {sum(len(c) for c in runs.values())} runs averaged")
    return curve, notes


def idle_floor(ccf_scalar: Path) -> tuple[float, str]:
    """Return the idle power as a fraction of full-load power, from Cloud Carbon Footprint.

    The first step of each CodeCarbon profile reads 0.2-1.4 W of package power,
    an artefact of its first RAPL delta rather than a real idle draw, so the
    0 % point of the curve is floored at CCF's published ratio of minimum to
    maximum watts per vCPU (Apache-2.0), averaged over AWS and GCP.
    """
    values = {(r["provider"], r["constant"]): float(r["value"]) for r in _read_csv(ccf_scalar)}
    ratios = {
        "aws": values[("aws", "MIN_WATTS_AVG")] / values[("aws", "MAX_WATTS_AVG")],
        "gcp": values[("gcp", "MIN_WATTS_MEDIAN")] / values[("gcp", "MAX_WATTS_MEDIAN")],
    }
    floor = statistics.fmean(ratios.values())
    detail = ", ".join(f"{k} {v:.3f}" for k, v in ratios.items())
    return floor, f"idle floor {floor:.3f} = mean CCF min/max W per vCPU ({detail})"


def build(hardware: Path, out_dir: Path, ccf_scalar: Path, specpower: Path) -> None:
    """Write both tables and print a summary."""
    spec_threads, chip_threads = specpower_threads(specpower)
    models = build_tdp_table(hardware, out_dir / "cpu_tdp.csv", spec_threads)
    w_per_thread, count = default_w_per_thread(models)
    tdp_by_key = {key: tdp for key, tdp, _ in models}
    curve, notes = load_curve(hardware / "cpu_load_profiling", tdp_by_key)
    floor, floor_note = idle_floor(ccf_scalar)
    notes.append(floor_note)
    curve = [(pct, max(fraction, round(floor, 4))) for pct, fraction in curve]
    threads_by_key = {**spec_threads, **{k: t for k, _, t in models if t}}
    low, high, band_notes = model_error_band(
        hardware / "cpu_load_profiling", tdp_by_key, threads_by_key, curve
    )
    notes += band_notes
    rows = [
        (
            "default_w_per_thread",
            f"{w_per_thread:.2f}",
            "W/thread",
            f"median TDP/threads over {count} CPU models with known thread counts",
        )
    ]
    rows.append(
        (
            "default_chip_threads",
            str(chip_threads),
            "threads/chip",
            "median threads per chip of SPECpower results published 2020 or later",
        )
    )
    for key, value, edge in (
        ("model_to_rapl_low", low, "lowest"),
        ("model_to_rapl_high", high, "highest"),
    ):
        rows.append(
            (
                key,
                f"{value:.2f}",
                "model W / RAPL W",
                f"{edge} ratio of TDP x curve to RAPL on the load profiles (first steps left out)",
            )
        )
    for pct, fraction in curve:
        rows.append(
            (
                f"load_curve_{pct}",
                f"{fraction:g}",
                "fraction of TDP",
                f"at {pct}% CPU load; mean RAPL package power / own max over profiled CPUs",
            )
        )
    path = out_dir / "cpu_defaults.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# CPU model defaults. Source: CodeCarbon (MIT), codecarbon/data/hardware/; idle\n"
            "# floor: Cloud Carbon Footprint (Apache-2.0) min/max watts per vCPU.\n"
        )
        handle.write(
            "# (cpu_power.csv, cpu_dataset_builder/, cpu_load_profiling/). See SOURCES.md.\n"
        )
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("key", "value", "unit", "detail"))
        writer.writerows(rows)
    print(f"wrote {path}")
    print(f"  default_w_per_thread: {w_per_thread:.2f} W/thread (median over {count} models)")
    print(f"  default_chip_threads: {chip_threads}; model/RAPL band {low:.2f}-{high:.2f}")
    for note in notes:
        print(f"  load profile: {note}")
    print("  load curve (load %: fraction of TDP): " + ", ".join(f"{p}: {f:g}" for p, f in curve))


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--hardware",
        type=Path,
        default=HARDWARE,
        help="CodeCarbon's data/hardware folder (cpu_power.csv, cpu_dataset_builder/, "
        "cpu_load_profiling/)",
    )
    parser.add_argument(
        "--ccf-scalar",
        type=Path,
        default=HARDWARE.parents[1] / "cloud-carbon-footprint" / "ccf_coefficients_scalar.csv",
        help="Cloud Carbon Footprint's ccf_coefficients_scalar.csv (idle floor of the curve)",
    )
    parser.add_argument(
        "--specpower",
        type=Path,
        default=HARDWARE.parents[1] / "cloud-carbon-footprint" / "ccfcoef_SPECpower-2026-03-09.csv",
        help="Cloud Carbon Footprint's copy of the SPECpower results (threads per chip)",
    )
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="folder to write to")
    args = parser.parse_args(argv)
    build(args.hardware, args.out_dir, args.ccf_scalar, args.specpower)


if __name__ == "__main__":
    main()

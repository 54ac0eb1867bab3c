"""Build the cloud instance tables in ``src/wattprint/power/data/`` from Cloud Carbon Footprint.

Writes three files, all from Cloud Carbon Footprint's ccf-coefficients data
(Apache-2.0; see ``power/data/SOURCES.md``):

- ``cloud_instances.csv``: one row per (provider, instance type): instance and
  platform vCPUs, the platform's CPU and microarchitecture, the platform's
  embodied emissions (kg CO2e, whole server), and for AWS the Teads
  per-instance package and memory power at idle, 10, 50 and 100 % load (W).
- ``cloud_cpu_coefficients.csv``: per provider and microarchitecture, the
  minimum and maximum watts per vCPU (CCF, from SPECpower).
- ``cpu_microarchitectures.csv``: CPU model names (normalised as
  ``wattprint.power.cpu.models.normalize_brand`` does) to the microarchitecture
  names the coefficients use.

Run from the repository root::

    python scripts/build_cloud_profiles.py --ccf ../shared/data/cloud-carbon-footprint
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_cpu_tables import normalize  # noqa: E402  (the script's own folder)

REPO_ROOT = Path(__file__).resolve().parents[1]
CCF = REPO_ROOT.parent / "shared" / "data" / "cloud-carbon-footprint"
OUT_DIR = REPO_ROOT / "src" / "wattprint" / "power" / "data"
LOADS = ("Idle", "10%", "50%", "100%")

# CCF's family files -> the microarchitecture names of its coefficient tables.
FAMILIES = {
    "amd-epyc-gen1": "EPYC 1st Gen",
    "amd-epyc-gen2": "EPYC 2nd Gen",
    "amd-epyc-gen3": "EPYC 3rd Gen",
    "amd-epyc-gen4": "EPYC 4th Gen",
    "amd-epyc-gen5": "EPYC 5th Gen",
    "amd-neoverse-n1": "Graviton2",
    "intel-broadwell": "Broadwell",
    "intel-cascadelake": "Cascade Lake",
    "intel-coffeelake": "Coffee Lake",
    "intel-emeraldrapids": "Emerald Rapids",
    "intel-graniterapids": "Granite Rapids",
    "intel-haswell": "Haswell",
    "intel-icelake": "Ice Lake",
    "intel-ivybridge": "Ivy Bridge",
    "intel-sandybridge": "Sandy Bridge",
    "intel-sapphirerapids": "Sapphire Rapids",
    "intel-skylake": "Skylake",
    "intel-skylake-client": "Skylake",
    "intel-skylake-server": "Skylake",
}


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _watts(text: str) -> str:
    """Return a Teads figure (decimal comma) as a plain decimal string."""
    return f"{float(text.replace(',', '.')):g}"


def model_key(name: str) -> str:
    """Return the key of a CPU model: its normalised name without the word Xeon.

    CCF's lists spell ``Platinum 8480+`` where a brand string reads ``Intel(R)
    Xeon(R) Platinum 8480+``; the same rule is applied at run time.
    """
    return " ".join(token for token in normalize(name).split() if token != "xeon")


ARCH_NAMES = (
    *sorted({*FAMILIES.values(), "Graviton3", "Graviton3E", "Graviton4"}, key=len, reverse=True),
)
"""Microarchitecture names that a platform CPU name may spell out ('AWS Graviton4 Processor')."""


def _arch_of(arch: dict[str, str], cpu: str) -> str:
    """Return the microarchitecture of ``cpu``.

    Its model key, else the key less leading words (``8175m``), else an
    architecture named in it (``Intel Xeon Ice Lake``); empty when none.
    """
    words = model_key(cpu).split()
    for i in range(len(words)):
        found = arch.get(" ".join(words[i:]))
        if found:
            return found
    lowered = cpu.lower()
    return next((name for name in ARCH_NAMES if name.lower() in lowered), "")


def microarchitectures(ccf: Path) -> dict[str, str]:
    """Return normalised CPU model -> microarchitecture; models with two answers dropped."""
    seen: dict[str, set[str]] = defaultdict(set)
    for row in _read(ccf / "ccfcoef_cpu_families.csv"):
        seen[model_key(row["cpu_model"])].add(FAMILIES[row["family_file"]])
    return {key: next(iter(v)) for key, v in sorted(seen.items()) if len(v) == 1 and key}


def _aws_rows(ccf: Path, arch: dict[str, str]) -> list[list[str]]:
    embodied = {
        r["type"]: float(r["total"]) for r in _read(ccf / "ccfcoef_coefficients-aws-embodied.csv")
    }
    rows: list[list[str]] = []
    for r in _read(ccf / "ccfcoef_aws-instances.csv"):
        name = r["Instance type"].strip()
        cpu = r["Platform CPU Name"].strip()
        power = [_watts(r[f"PkgWatt @ {load}"]) for load in LOADS]
        power += [_watts(r[f"RAMWatt @ {load}"]) for load in LOADS]
        kg = embodied.get(name)
        rows.append(
            [
                "aws",
                name,
                r["Instance vCPU"],
                r["Platform Total Number of vCPU"],
                cpu,
                _arch_of(arch, cpu),
                "" if kg is None else f"{kg:g}",
                *power,
            ]
        )
    known = {row[1] for row in rows}
    for r in _read(ccf / "ccfcoef_aws-instances-latest-2026.csv"):
        name = r["Instance Type"].strip()
        if name in known:
            continue
        cpu = r["Platform CPU Name"].strip()
        tonnes = r["Platform Embedded Emissions (mtCo2eq)"].strip()
        kg = f"{float(tonnes) * 1000:g}" if tonnes else ""
        rows.append(["aws", name, r["vCPUs"], "", cpu, _arch_of(arch, cpu), kg] + [""] * 8)
        known.add(name)
    return rows


def _other_rows(ccf: Path, provider: str, specs: str, embodied: str) -> list[list[str]]:
    """Rows for GCP or Azure: microarchitectures listed per type, embodied averaged."""
    totals: dict[str, list[float]] = defaultdict(list)
    for r in _read(ccf / embodied):
        totals[r["type"]].append(float(r["total"]))
    by_type: dict[str, dict[str, object]] = {}
    type_col = "Machine type" if provider == "gcp" else "Virtual Machine"
    for r in _read(ccf / specs):
        name = r[type_col].strip()
        entry = by_type.setdefault(
            name,
            {"vcpus": r["Instance vCPUs"], "platform": r["Platform vCPUs (highest vCPU possible)"]},
        )
        arch = r["Microarchitecture"].strip()
        if arch and arch != "Unknown":
            entry.setdefault("arch", set()).add(arch)  # type: ignore[union-attr]
    rows: list[list[str]] = []
    for name, entry in sorted(by_type.items()):
        archs = sorted(entry.get("arch", set()))  # type: ignore[call-overload]
        kg = statistics.fmean(totals[name]) if totals.get(name) else None
        rows.append(
            [
                provider,
                name,
                str(entry["vcpus"]),
                str(entry["platform"]),
                "",
                "|".join(archs),
                "" if kg is None else f"{kg:.2f}",
            ]
            + [""] * 8
        )
    return rows


def build(ccf: Path, out_dir: Path) -> None:
    """Write the three tables and print a summary."""
    arch = microarchitectures(ccf)
    header = "# Source: Cloud Carbon Footprint ccf-coefficients (Apache-2.0). See SOURCES.md.\n"
    path = out_dir / "cpu_microarchitectures.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("model", "microarchitecture"))
        writer.writerows(sorted(arch.items()))
    print(f"wrote {path}: {len(arch)} models")

    path = out_dir / "cloud_cpu_coefficients.csv"
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("provider", "microarchitecture", "min_w_per_vcpu", "max_w_per_vcpu"))
        for provider in ("aws", "gcp", "azure"):
            for r in _read(ccf / f"ccfcoef_coefficients-{provider}-use.csv"):
                min_w, max_w = float(r["Min Watts"]), float(r["Max Watts"])
                writer.writerow((provider, r["Architecture"], f"{min_w:.4f}", f"{max_w:.4f}"))
                count += 1
    print(f"wrote {path}: {count} rows")

    rows = _aws_rows(ccf, arch)
    rows += _other_rows(
        ccf, "gcp", "ccfcoef_gcp-instances.csv", "ccfcoef_coefficients-gcp-embodied.csv"
    )
    rows += _other_rows(
        ccf, "azure", "ccfcoef_azure-instances.csv", "ccfcoef_coefficients-azure-embodied.csv"
    )
    path = out_dir / "cloud_instances.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        writer = csv.writer(handle, lineterminator="\n")
        loads = ("idle", "10", "50", "100")
        writer.writerow(
            (
                "provider",
                "instance_type",
                "vcpus",
                "platform_vcpus",
                "cpu",
                "microarchitecture",
                "platform_embodied_kg",
                *(f"cpu_w_{load}" for load in loads),
                *(f"ram_w_{load}" for load in loads),
            )
        )
        writer.writerows(rows)
    with_power = sum(1 for row in rows if row[7])
    print(f"wrote {path}: {len(rows)} instance types ({with_power} with a power profile)")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ccf", type=Path, default=CCF, help="the cloud-carbon-footprint folder")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help="folder to write to")
    args = parser.parse_args(argv)
    build(args.ccf, args.out_dir)


if __name__ == "__main__":
    main()

"""Build ``src/wattprint/grid/data/country_intensity.csv`` from Ember's yearly data.

One row per country (basis ``lifecycle``): the newest year for which Ember gives a lifecycle
emissions intensity (gCO2e/kWh), plus one row for the World (iso3 ``WLD``).
Ember has no ISO alpha-2 codes, so the alpha-3 -> alpha-2 mapping comes from
two peer-tool tables: Eco2AI's ``carbon_index.csv`` (Apache-2.0) and
carbontracker's ``carbon-intensities.csv`` (MIT). Regional aggregates without
a 3-letter code (EU, G20, Asia, ...) are skipped.

Run from the repository root (defaults point at ``../shared/data``)::

    python scripts/build_country_intensity.py
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = next(  # ../shared/data beside the checkout, or beside a worktree's parent
    (p / "shared" / "data" for p in REPO_ROOT.parents[:2] if (p / "shared" / "data").is_dir()),
    REPO_ROOT.parent / "shared" / "data",
)
OUTPUT = REPO_ROOT / "src" / "wattprint" / "grid" / "data" / "country_intensity.csv"

SOURCE = "Ember (2025)"
BASIS = "lifecycle"  # Ember's country intensity: lifecycle gCO2e per kWh generated
WORLD_NAME = "World"
WORLD_ISO3 = "WLD"
HEADER_COMMENT = (
    "# Country grid emissions intensity: newest year per country, lifecycle gCO2e/kWh.",
    "# Source: Ember (2025), Yearly Electricity Data, CC BY 4.0 (https://ember-energy.org).",
    "# ISO alpha-2 codes: Eco2AI carbon_index.csv (Apache-2.0), carbontracker (MIT).",
    "# Built by scripts/build_country_intensity.py; see SOURCES.md in this folder.",
)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def alpha2_mapping(eco2ai: Path, carbontracker: Path) -> dict[str, str]:
    """Return alpha-3 -> alpha-2 from both peer tables (Eco2AI first, then carbontracker)."""
    mapping: dict[str, str] = {}
    for row in _read_csv(eco2ai):
        iso3, iso2 = row["alpha_3_code"].strip().upper(), row["alpha_2_code"].strip().upper()
        if len(iso3) == 3 and len(iso2) == 2:
            mapping.setdefault(iso3, iso2)
    for row in _read_csv(carbontracker):
        iso3, iso2 = row["Code"].strip().upper(), row["alpha-2"].strip().upper()
        if len(iso3) != 3 or len(iso2) != 2:
            continue
        known = mapping.setdefault(iso3, iso2)
        if known != iso2:
            print(f"warning: {iso3} is {known} in Eco2AI but {iso2} in carbontracker; kept {known}")
    return mapping


def newest_rows(ember: Path) -> dict[str, dict[str, str]]:
    """Return, per alpha-3 code (``WLD`` for the World), Ember's newest row with an intensity."""
    newest: dict[str, dict[str, str]] = {}
    for row in _read_csv(ember):
        if not row["emissions_intensity_gco2_per_kwh"].strip():
            continue
        code = row["country_code"].strip().upper()
        if not code:
            if row["country_or_region"].strip() != WORLD_NAME:
                continue  # a regional aggregate (EU, G20, Asia, ...)
            code = WORLD_ISO3
        elif len(code) != 3:
            continue
        if code not in newest or int(row["year"]) > int(newest[code]["year"]):
            newest[code] = row
    return newest


def build(ember: Path, eco2ai: Path, carbontracker: Path, output: Path) -> None:
    """Write the country table and print a summary."""
    mapping = alpha2_mapping(eco2ai, carbontracker)
    newest = newest_rows(ember)
    missing: list[str] = []
    table: list[tuple[str, str, str, str, str, str, str]] = []
    for iso3 in sorted(newest):
        row = newest[iso3]
        iso2 = "" if iso3 == WORLD_ISO3 else mapping.get(iso3, "")
        if not iso2 and iso3 != WORLD_ISO3:
            missing.append(f"{iso3} ({row['country_or_region']})")
        intensity = float(row["emissions_intensity_gco2_per_kwh"])
        table.append(
            (
                iso3,
                iso2,
                row["country_or_region"].strip(),
                f"{intensity:.2f}",
                row["year"],
                SOURCE,
                BASIS,
            )
        )
    iso2_seen: dict[str, str] = {}
    for iso3, iso2, *_ in table:
        if iso2 and iso2_seen.setdefault(iso2, iso3) != iso3:
            sys.exit(f"error: alpha-2 {iso2} maps to both {iso2_seen[iso2]} and {iso3}")
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        for line in HEADER_COMMENT:
            handle.write(line + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("iso3", "iso2", "name", "intensity_g_per_kwh", "year", "source", "basis"))
        writer.writerows(table)
    years: dict[str, int] = {}
    for _, _, _, _, year, _, _ in table:
        years[year] = years.get(year, 0) + 1
    world = next(row for row in table if row[0] == WORLD_ISO3)
    print(f"wrote {output} ({len(table)} rows: {len(table) - 1} countries + World)")
    print("rows per data year: " + ", ".join(f"{y}: {n}" for y, n in sorted(years.items())))
    print(f"World: {world[3]} gCO2e/kWh ({world[4]})")
    print(f"alpha-3 -> alpha-2 codes known: {len(mapping)}")
    if missing:
        print(f"countries without alpha-2 ({len(missing)}): " + ", ".join(missing))
    else:
        print("countries without alpha-2: none")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ember",
        type=Path,
        default=DATA_ROOT / "ember" / "api_country_overview_yearly.csv",
        help="Ember api_country_overview_yearly.csv",
    )
    parser.add_argument(
        "--eco2ai",
        type=Path,
        default=DATA_ROOT / "peer-tool-tables" / "eco2ai_carbon_index.csv",
        help="Eco2AI carbon_index.csv (alpha_2_code, alpha_3_code)",
    )
    parser.add_argument(
        "--carbontracker",
        type=Path,
        default=DATA_ROOT / "peer-tool-tables" / "carbontracker_carbon-intensities.csv",
        help="carbontracker carbon-intensities.csv (alpha-2, Code)",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="CSV file to write")
    args = parser.parse_args(argv)
    build(args.ember, args.eco2ai, args.carbontracker, args.output)


if __name__ == "__main__":
    main()

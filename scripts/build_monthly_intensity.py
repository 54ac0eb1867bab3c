"""Build ``src/wattprint/grid/data/country_monthly.csv`` from Ember's monthly data.

One row per country and month for which Ember gives a lifecycle emissions
intensity (gCO2e/kWh), plus the World (iso3 ``WLD``). Regional aggregates
without a 3-letter code (EU, G20, Asia, ...) are skipped, as in
``build_country_intensity.py``.

Run from the repository root (defaults point at ``../shared/data``)::

    python scripts/build_monthly_intensity.py
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = next(  # ../shared/data beside the checkout, or beside a worktree's parent
    (p / "shared" / "data" for p in REPO_ROOT.parents[:2] if (p / "shared" / "data").is_dir()),
    REPO_ROOT.parent / "shared" / "data",
)
OUTPUT = REPO_ROOT / "src" / "wattprint" / "grid" / "data" / "country_monthly.csv"

SOURCE = "Ember (2025)"
BASIS = "lifecycle"  # Ember's monthly intensity: lifecycle gCO2e per kWh generated
WORLD_NAME = "World"
WORLD_ISO3 = "WLD"
HEADER_COMMENT = (
    "# Country grid emissions intensity per month, lifecycle gCO2e/kWh (month = YYYY-MM).",
    "# Source: Ember (2025), Monthly Electricity Data, CC BY 4.0 (https://ember-energy.org).",
    "# Built by scripts/build_monthly_intensity.py; see SOURCES.md in this folder.",
)
COLUMNS = ("iso3", "month", "intensity_g_per_kwh", "source", "basis")


def monthly_rows(ember: Path) -> dict[tuple[str, str], float]:
    """Return ``{(iso3, 'YYYY-MM'): intensity}`` from Ember's monthly overview table."""
    table: dict[tuple[str, str], float] = {}
    with ember.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            value = row["emissions_intensity_gco2_per_kwh"].strip()
            if not value:
                continue
            code = row["country_code"].strip().upper()
            if not code:
                if row["country_or_region"].strip() != WORLD_NAME:
                    continue  # a regional aggregate (EU, G20, Asia, ...)
                code = WORLD_ISO3
            elif len(code) != 3:
                continue
            month = row["date"].strip()[:7]  # "2024-01-01" -> "2024-01"
            key = (code, month)
            if key in table:
                raise SystemExit(f"error: {code} {month} appears twice in {ember}")
            table[key] = float(value)
    return table


def build(ember: Path, output: Path) -> None:
    """Write the monthly table and print a summary."""
    table = monthly_rows(ember)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        for line in HEADER_COMMENT:
            handle.write(line + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for (iso3, month), value in sorted(table.items()):
            writer.writerow((iso3, month, f"{value:.2f}", SOURCE, BASIS))
    countries = sorted({iso3 for iso3, _ in table})
    months = sorted({month for _, month in table})
    print(f"wrote {output} ({len(table)} rows, {len(countries)} codes incl. WLD)")
    print(f"months: {months[0]} .. {months[-1]}")
    for iso3 in ("FRA", "DEU", "USA", WORLD_ISO3):
        newest = max((m for c, m in table if c == iso3), default=None)
        if newest is not None:
            print(f"{iso3} {newest}: {table[(iso3, newest)]:.2f} gCO2e/kWh")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ember",
        type=Path,
        default=DATA_ROOT / "ember" / "api_country_overview_monthly.csv",
        help="Ember api_country_overview_monthly.csv",
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="CSV file to write")
    args = parser.parse_args(argv)
    build(args.ember, args.output)


if __name__ == "__main__":
    main()

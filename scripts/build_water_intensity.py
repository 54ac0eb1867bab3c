"""Build ``src/wattprint/grid/data/water_intensity.csv``: water consumed per kWh generated.

The grid's water intensity is the freshwater *consumed* (evaporated, not
returned; withdrawals are not counted) at the power plants per kWh they
generate: the sum over technologies of the technology's share of generation
times its consumption factor, in L/kWh (= m3/MWh).

- Consumption factors: ``water/gcam_macknick_elec_water_m3_per_MWh.csv``
  (GCAM's table of Macknick et al. 2012 medians), one technology and cooling
  system per fuel (``FACTORS``): the common thermal technology with a
  cooling tower. Hydropower counts 0: reservoir evaporation is left out
  (see SOURCES.md).
- Mix per country: Our World in Data's "Electricity mix from BP & Ember
  (2022)", newest year per country (2021 for 85 countries, else 2020),
  which is newer than Ember's 2022-01 generation table (2020); Ember's table
  fills countries OWID lacks. Plus a World row (``WLD``).
- Mix per US state (``US-CA`` ...): Ember's US state generation, 2024.
  Per Indian state (``IN-MH`` ...): Ember's sub-national generation, 2021.
  Per Canadian province (``CA-QC`` ...): CodeCarbon's 2023 shares (MIT).

Run from the repository root after ``build_region_intensity.py``::

    python scripts/build_water_intensity.py
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from build_region_intensity import CANADA_PROVINCES, INDIA_STATES, US_STATES

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = REPO_ROOT.parent / "shared" / "data"
PACKAGE_DATA = REPO_ROOT / "src" / "wattprint" / "grid" / "data"

COLUMNS = ("key", "water_l_per_kwh", "year", "source", "detail")
HEADER_COMMENT = (
    "# Water consumed at power plants per kWh generated, L/kWh (= m3/MWh), withdrawals not",
    "# counted, hydro reservoir evaporation left out. Factors: Macknick et al. (2012) medians",
    "# via GCAM (ECL-2.0), cooling tower. Mixes: OWID/Ember (CC BY 4.0), CodeCarbon (MIT).",
    "# Built by scripts/build_water_intensity.py; see SOURCES.md in this folder.",
)
FUELS = ("coal", "gas", "oil", "nuclear", "hydro", "bioenergy", "solar", "wind", "other")
# fuel -> (GCAM fuel, technology, cooling system) whose water_consumption is used.
FACTORS: dict[str, tuple[str, str, str] | None] = {
    "coal": ("coal", "coal (conv pul)", "recirculating"),
    "gas": ("gas", "gas (CC)", "recirculating"),
    "oil": ("refined liquids", "refined liquids (steam/CT)", "recirculating"),
    "nuclear": ("nuclear", "Gen_II_LWR", "recirculating"),
    "hydro": None,  # reservoir evaporation left out: 0
    "bioenergy": ("biomass", "biomass (conv)", "recirculating"),
    "solar": ("solar PV", "PV", "none"),
    "wind": ("wind", "wind", "none"),
    "other": ("geothermal", "geothermal", "recirculating"),  # mostly geothermal
}
SRC_OWID = "OWID (BP & Ember 2022) mix x Macknick et al. 2012 factors"
SRC_EMBER_2020 = "Ember (2022) mix x Macknick et al. 2012 factors"
SRC_EMBER = "Ember (2025) state mix x Macknick et al. 2012 factors"
SRC_CANADA = "CodeCarbon 2023 mix (MIT) x Macknick et al. 2012 factors"
OWID_COLUMNS = {
    "coal": "coal", "gas": "gas", "oil": "oil", "nuclear": "nuclear", "hydro": "hydro",
    "bioenergy": "bioenergy", "solar": "solar", "wind": "wind",
    "other": "other renewables excluding bioenergy",
}
EMBER_VARIABLES = {
    "Coal": "coal", "Gas": "gas", "Other Fossil": "oil", "Nuclear": "nuclear", "Hydro": "hydro",
    "Bioenergy": "bioenergy", "Biomass": "bioenergy", "Solar": "solar", "Wind": "wind",
    "Other Renewables": "other",
}
CANADA_KEYS = {
    "coal": "coal", "naturalGas": "gas", "petroleum": "oil", "nuclear": "nuclear",
    "hydro": "hydro", "biomass": "bioenergy", "solar": "solar", "wind": "wind",
    "tidal": "hydro", "other": "other",  # tidal: no cooling water, like hydro
}
# OWID names that neither Ember nor country_intensity.csv spell the same way.
OWID_NAMES = {
    "Bosnia and Herzegovina": "BIH", "British Virgin Islands": "VGB", "Brunei": "BRN",
    "Cape Verde": "CPV", "Cook Islands": "COK", "Democratic Republic of Congo": "COD",
    "Faeroe Islands": "FRO", "Falkland Islands": "FLK", "Laos": "LAO", "Palestine": "PSE",
    "Philippines": "PHL", "Tanzania": "TZA", "United States Virgin Islands": "VIR",
    "Vietnam": "VNM", "World": "WLD",
}

Mix = dict[str, float]  # fuel -> generation (any unit)
Row = tuple[str, str, str, str, str]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        return list(csv.DictReader(lines))


def load_factors(path: Path) -> dict[str, float]:
    """Return fuel -> consumption factor (L/kWh) picked from GCAM's Macknick table."""
    table = {
        (r["fuel"], r["technology"], r["cooling_system"], r["water_type"]): float(
            r["water_consumption"]
        )
        for r in _read_csv(path)
    }
    factors: dict[str, float] = {}
    for fuel, pick in FACTORS.items():
        if pick is None:
            factors[fuel] = 0.0
            continue
        water_type = "none" if pick[0] == "wind" else "fresh"
        factors[fuel] = table[(*pick, water_type)]
    return factors


def intensity(mix: Mix, factors: dict[str, float], label: str) -> tuple[float, str]:
    """Return (L/kWh, detail) for a generation mix."""
    total = sum(mix.values())
    water = sum(mix.get(fuel, 0.0) * factors[fuel] for fuel in FUELS) / total
    shares = [f"{fuel} {100 * mix[fuel] / total:.1f}%" for fuel in FUELS
              if mix.get(fuel, 0.0) / total >= 0.0005]
    return water, f"{label} mix: " + ", ".join(shares)


def owid_mixes(path: Path, names: dict[str, str]) -> dict[str, tuple[int, Mix]]:
    """Return iso3 -> (year, mix in TWh) for OWID's newest complete year per country."""
    newest: dict[str, tuple[int, Mix]] = {}
    for row in _read_csv(path):
        iso3 = names.get(row["Country"].strip())
        if iso3 is None or not row["Electricity generation (TWh)"].strip():
            continue
        mix = {f: float(row[f"Electricity from {c} (TWh)"] or 0) for f, c in OWID_COLUMNS.items()}
        year = int(row["Year"])
        if sum(mix.values()) > 0 and (iso3 not in newest or year > newest[iso3][0]):
            newest[iso3] = (year, mix)
    return newest


def ember_country_mixes(path: Path) -> tuple[dict[str, tuple[int, Mix]], dict[str, str]]:
    """Return iso3 -> (newest year, mix) from Ember's 2022-01 table, and name -> iso3."""
    by_year: dict[tuple[str, int], Mix] = {}
    names: dict[str, str] = {}
    for row in _read_csv(path):
        iso3 = row["country_code"].strip().upper()
        if len(iso3) != 3:
            continue
        names[row["country_name"].strip()] = iso3
        mix = by_year.setdefault((iso3, int(row["year"])), {})
        fuel = EMBER_VARIABLES[row["variable"]]
        mix[fuel] = mix.get(fuel, 0.0) + float(row["generation_twh"] or 0)
    newest: dict[str, tuple[int, Mix]] = {}
    for (iso3, year), mix in by_year.items():
        if sum(mix.values()) > 0 and (iso3 not in newest or year > newest[iso3][0]):
            newest[iso3] = (year, mix)
    return newest, names


def ember_state_mixes(
    path: Path, country: str, codes: dict[str, tuple[str, str]]
) -> tuple[int, dict[str, Mix]]:
    """Return (newest year, code -> mix in GWh) for one country's states."""
    rows = [r for r in _read_csv(path) if r["country"] == country]
    year = max(int(r["year"]) for r in rows)
    mixes: dict[str, Mix] = {}
    for row in rows:
        fuel = EMBER_VARIABLES.get(row["variable"])  # None for Clean, Fossil, ... aggregates
        if int(row["year"]) != year or fuel is None or row["state"] not in codes:
            continue
        mix = mixes.setdefault(codes[row["state"]][0], {})
        mix[fuel] = mix.get(fuel, 0.0) + float(row["generation_gwh"] or 0)
    return year, {code: mix for code, mix in mixes.items() if sum(mix.values()) > 0}


def build(args: argparse.Namespace) -> None:
    """Write the water table and print a summary."""
    factors = load_factors(args.factors)
    countries = {r["iso3"]: r["name"] for r in _read_csv(args.countries)}
    ember, names = ember_country_mixes(args.ember)
    names.update({name: iso3 for iso3, name in countries.items()})
    names.update(OWID_NAMES)
    owid = owid_mixes(args.owid, names)
    table: list[Row] = []
    for iso3 in sorted(countries):
        if iso3 in owid:
            year, mix = owid[iso3]
            source = SRC_OWID
        elif iso3 in ember:
            year, mix = ember[iso3]
            source = SRC_EMBER_2020
        else:
            print(f"no generation mix for {iso3} ({countries[iso3]}): skipped")
            continue
        water, detail = intensity(mix, factors, f"{year}")
        table.append((iso3, f"{water:.3f}", str(year), source, detail))
    states = (
        (args.ember_usa, "United States", US_STATES),
        (args.ember_subnational, "India", INDIA_STATES),
    )
    for path, country, codes in states:
        year, mixes = ember_state_mixes(path, country, codes)
        for code, mix in sorted(mixes.items()):
            water, detail = intensity(mix, factors, f"{year}")
            table.append((code, f"{water:.3f}", str(year), SRC_EMBER, detail))
    canada = json.loads(args.canada_mix.read_text(encoding="utf-8"))
    for province, shares in sorted(canada.items()):
        shares_by_fuel: Mix = {}
        for key, share in shares.items():
            if key != "total":
                fuel = CANADA_KEYS[key]
                shares_by_fuel[fuel] = shares_by_fuel.get(fuel, 0.0) + float(share)
        water, detail = intensity(shares_by_fuel, factors, "2023")
        table.append((CANADA_PROVINCES[province][0], f"{water:.3f}", "2023", SRC_CANADA, detail))
    keys = [row[0] for row in table]
    if len(set(keys)) != len(keys):
        raise SystemExit("error: a key appears twice")
    output: Path = args.output
    with output.open("w", encoding="utf-8", newline="") as handle:
        for line in HEADER_COMMENT:
            handle.write(line + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)
    print(f"wrote {output} ({len(table)} rows)")
    print("factors (L/kWh): " + ", ".join(f"{f} {v:g}" for f, v in factors.items()))
    counts: dict[str, int] = {}
    for row in table:
        group = f"{row[3].split(' mix')[0]} {row[2]}"
        counts[group] = counts.get(group, 0) + 1
    summary = "; ".join(f"{group}: {n}" for group, n in sorted(counts.items()))
    print(f"rows per mix source and year: {summary}")
    for key in ("WLD", "USA", "FRA", "NOR", "IND", "US-CA", "US-WV", "IN-MH", "CA-QC"):
        row = next(row for row in table if row[0] == key)
        print(f"{key}: {row[1]} L/kWh ({row[2]}) {row[4]}")
    high = max(table, key=lambda row: float(row[1]))
    print(f"highest: {high[0]} {high[1]} L/kWh ({high[4]})")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ember = DATA_ROOT / "ember"
    parser.add_argument(
        "--factors", type=Path,
        default=DATA_ROOT / "water" / "gcam_macknick_elec_water_m3_per_MWh.csv",
    )
    parser.add_argument(
        "--owid", type=Path,
        default=DATA_ROOT / "owid-energy" / "owid_electricity_mix_bp_ember_2022.csv",
    )
    parser.add_argument("--ember", type=Path, default=ember / "generation_yearly_api_2022-01.csv")
    parser.add_argument("--ember-usa", type=Path, default=ember / "api_generation_usa_yearly.csv")
    parser.add_argument(
        "--ember-subnational", type=Path, default=ember / "api_subnational_generation_yearly.csv"
    )
    parser.add_argument(
        "--canada-mix", type=Path,
        default=DATA_ROOT / "codecarbon" / "private_infra" / "2023" / "canada_energy_mix.json",
    )
    parser.add_argument("--countries", type=Path, default=PACKAGE_DATA / "country_intensity.csv")
    parser.add_argument("--output", type=Path, default=PACKAGE_DATA / "water_intensity.csv")
    build(parser.parse_args(argv))


if __name__ == "__main__":
    main()

"""Build ``src/wattprint/grid/data/region_intensity.csv``: sub-national grid intensity.

Rows (``country_iso3, code, name, intensity_g_per_kwh, year, source, basis``);
``basis`` is ``direct`` (CO2 of combustion at the plants) or ``lifecycle``
(gCO2e over the plants' life cycle), as ``grid/data/SOURCES.md`` explains:

- US states, DC and Puerto Rico (``US-CA`` ...): Ember's US state overview,
  newest year (2024). Ember's state figure is CO2 from in-state generation
  divided by in-state generation (its ``demand_gwh`` column equals the
  state's generation). Basis ``lifecycle``: Ember's state emissions are each
  fuel's generation times IPCC AR5's lifecycle medians (coal 820, gas 490,
  hydro 24, nuclear 12, wind 11 g/kWh), as the build checks from Ember's
  generation-by-fuel tables; a direct (combustion) figure would count hydro,
  nuclear and wind as zero. The states' sum is 345.6 g/kWh in 2024 against
  383.6 in Ember's country table: same basis, another method (generic
  factors per fuel, production-based).
- Indian states and union territories (``IN-MH`` ...): Ember's sub-national
  overview, newest year there (2021); same kind of figure as the US one
  (``lifecycle``, checked the same way).
- Canadian provinces and territories (``CA-QC`` ...): CodeCarbon's 2023
  generation shares (MIT) times per-source factors (below). Basis
  ``lifecycle``: the low-carbon factors are lifecycle figures; the fossil
  ones (US EPA, via CodeCarbon) are combustion rates higher than IPCC's
  lifecycle medians (coal 995 against 820).
- Swedish and Norwegian electricity bidding zones (``SE-SE1`` ... ``SE-SE4``,
  ``NO-NO1`` ... ``NO-NO5``): CodeCarbon's ``nordic_emissions.json`` (MIT) as
  of mlco2/codecarbon commit ``26b19bc5`` (last updated 2026-09-09): per-zone
  2025 generation mix from ENTSO-E Transparency (Actual Generation per
  Production Type, A75) times the same per-source factors as Canada
  (``lifecycle``). A copy of that file is kept in ``scripts/sources/`` (the
  copy under ``../shared/data`` is the older one, 18.0 for every zone, which
  the build refuses). Finland's entry is a whole country (one bidding zone)
  and is left out: the country table covers it. Denmark's zones DK1 and DK2
  have no freely licensed per-zone figure and are left to the country.

Run from the repository root (defaults point at ``../shared/data``)::

    python scripts/build_region_intensity.py
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = next(  # ../shared/data beside the checkout, or beside a worktree's parent
    (p / "shared" / "data" for p in REPO_ROOT.parents[:2] if (p / "shared" / "data").is_dir()),
    REPO_ROOT.parent / "shared" / "data",
)
OUTPUT = REPO_ROOT / "src" / "wattprint" / "grid" / "data" / "region_intensity.csv"

COLUMNS = ("country_iso3", "code", "name", "intensity_g_per_kwh", "year", "source", "basis")
HEADER_COMMENT = (
    "# Sub-national grid emissions intensity, g/kWh, on the basis of each row (SOURCES.md).",
    "# US and Indian states: Ember (2025), CC BY 4.0, in-state generation x IPCC lifecycle",
    "# factors. Canada, Nordic zones: CodeCarbon (MIT) mixes x per-source factors.",
    "# Built by scripts/build_region_intensity.py; see SOURCES.md in this folder.",
)
SOURCE_EMBER = "Ember (2025), in-state generation, IPCC lifecycle factors"
SOURCE_CANADA = "CodeCarbon 2023 mix (MIT) x lifecycle factors per source"
SOURCE_NORDIC = "CodeCarbon (MIT) 26b19bc5, ENTSO-E A75 zone mix x factors"
IPCC_LIFECYCLE = {"Coal": 820.0, "Gas": 490.0, "Hydro": 24.0, "Nuclear": 12.0, "Wind": 11.0}
"""IPCC AR5 WGIII Annex III lifecycle medians, gCO2e/kWh, that Ember's state emissions use."""
BASIS_FACTORS = "lifecycle"
NORDIC_DEFAULT = Path(__file__).resolve().parent / "sources" / "codecarbon_nordic_emissions_26b19bc5.json"

# Ember's state name -> (ISO 3166-2 code, ISO name). Ember writes "Washington, D.C.".
US_STATES: dict[str, tuple[str, str]] = {
    "Alabama": ("US-AL", "Alabama"), "Alaska": ("US-AK", "Alaska"),
    "Arizona": ("US-AZ", "Arizona"), "Arkansas": ("US-AR", "Arkansas"),
    "California": ("US-CA", "California"), "Colorado": ("US-CO", "Colorado"),
    "Connecticut": ("US-CT", "Connecticut"), "Delaware": ("US-DE", "Delaware"),
    "Florida": ("US-FL", "Florida"), "Georgia": ("US-GA", "Georgia"),
    "Hawaii": ("US-HI", "Hawaii"), "Idaho": ("US-ID", "Idaho"),
    "Illinois": ("US-IL", "Illinois"), "Indiana": ("US-IN", "Indiana"),
    "Iowa": ("US-IA", "Iowa"), "Kansas": ("US-KS", "Kansas"),
    "Kentucky": ("US-KY", "Kentucky"), "Louisiana": ("US-LA", "Louisiana"),
    "Maine": ("US-ME", "Maine"), "Maryland": ("US-MD", "Maryland"),
    "Massachusetts": ("US-MA", "Massachusetts"), "Michigan": ("US-MI", "Michigan"),
    "Minnesota": ("US-MN", "Minnesota"), "Mississippi": ("US-MS", "Mississippi"),
    "Missouri": ("US-MO", "Missouri"), "Montana": ("US-MT", "Montana"),
    "Nebraska": ("US-NE", "Nebraska"), "Nevada": ("US-NV", "Nevada"),
    "New Hampshire": ("US-NH", "New Hampshire"), "New Jersey": ("US-NJ", "New Jersey"),
    "New Mexico": ("US-NM", "New Mexico"), "New York": ("US-NY", "New York"),
    "North Carolina": ("US-NC", "North Carolina"), "North Dakota": ("US-ND", "North Dakota"),
    "Ohio": ("US-OH", "Ohio"), "Oklahoma": ("US-OK", "Oklahoma"),
    "Oregon": ("US-OR", "Oregon"), "Pennsylvania": ("US-PA", "Pennsylvania"),
    "Rhode Island": ("US-RI", "Rhode Island"), "South Carolina": ("US-SC", "South Carolina"),
    "South Dakota": ("US-SD", "South Dakota"), "Tennessee": ("US-TN", "Tennessee"),
    "Texas": ("US-TX", "Texas"), "Utah": ("US-UT", "Utah"),
    "Vermont": ("US-VT", "Vermont"), "Virginia": ("US-VA", "Virginia"),
    "Washington": ("US-WA", "Washington"), "West Virginia": ("US-WV", "West Virginia"),
    "Wisconsin": ("US-WI", "Wisconsin"), "Wyoming": ("US-WY", "Wyoming"),
    "Washington, D.C.": ("US-DC", "District of Columbia"),
    "Puerto Rico": ("US-PR", "Puerto Rico"),
}

# Ember's spelling -> (ISO 3166-2:IN code, ISO name). Codes after the 2023-11 ISO
# update (Chhattisgarh IN-CG, was IN-CT; Odisha IN-OD, was IN-OR; Telangana IN-TS,
# was IN-TG; Uttarakhand IN-UK, was IN-UT). Ember's "Others" row has no figure.
INDIA_STATES: dict[str, tuple[str, str]] = {
    "Andaman and Nicobar": ("IN-AN", "Andaman and Nicobar Islands"),
    "Andhra Pradesh": ("IN-AP", "Andhra Pradesh"),
    "Arunachal Pradesh": ("IN-AR", "Arunachal Pradesh"),
    "Assam": ("IN-AS", "Assam"), "Bihar": ("IN-BR", "Bihar"),
    "Chandigarh": ("IN-CH", "Chandigarh"), "Chhattisgarh": ("IN-CG", "Chhattisgarh"),
    "Dadra and Nagar Haveli and Daman and Diu": (
        "IN-DH", "Dadra and Nagar Haveli and Daman and Diu"),
    "Delhi": ("IN-DL", "Delhi"), "Goa": ("IN-GA", "Goa"), "Gujarat": ("IN-GJ", "Gujarat"),
    "Haryana": ("IN-HR", "Haryana"), "Himachal Pradesh": ("IN-HP", "Himachal Pradesh"),
    "Jammu and Kashmir": ("IN-JK", "Jammu and Kashmir"), "Jharkhand": ("IN-JH", "Jharkhand"),
    "Karnataka": ("IN-KA", "Karnataka"), "Kerala": ("IN-KL", "Kerala"),
    "Ladakh": ("IN-LA", "Ladakh"), "Lakshadweep": ("IN-LD", "Lakshadweep"),
    "Madhya Pradesh": ("IN-MP", "Madhya Pradesh"), "Maharashtra": ("IN-MH", "Maharashtra"),
    "Manipur": ("IN-MN", "Manipur"), "Meghalaya": ("IN-ML", "Meghalaya"),
    "Mizoram": ("IN-MZ", "Mizoram"), "Nagaland": ("IN-NL", "Nagaland"),
    "Odisha": ("IN-OD", "Odisha"), "Puducherry": ("IN-PY", "Puducherry"),
    "Punjab": ("IN-PB", "Punjab"), "Rajasthan": ("IN-RJ", "Rajasthan"),
    "Sikkim": ("IN-SK", "Sikkim"), "Tamil Nadu": ("IN-TN", "Tamil Nadu"),
    "Telangana": ("IN-TS", "Telangana"), "Tripura": ("IN-TR", "Tripura"),
    "Uttar Pradesh": ("IN-UP", "Uttar Pradesh"), "Uttarakhand": ("IN-UK", "Uttarakhand"),
    "West Bengal": ("IN-WB", "West Bengal"),
}

# CodeCarbon's lower-case province name -> (ISO 3166-2:CA code, name).
CANADA_PROVINCES: dict[str, tuple[str, str]] = {
    "alberta": ("CA-AB", "Alberta"), "british columbia": ("CA-BC", "British Columbia"),
    "manitoba": ("CA-MB", "Manitoba"), "new brunswick": ("CA-NB", "New Brunswick"),
    "newfoundland and labrador": ("CA-NL", "Newfoundland and Labrador"),
    "nova scotia": ("CA-NS", "Nova Scotia"),
    "northwest territories": ("CA-NT", "Northwest Territories"),
    "nunavut": ("CA-NU", "Nunavut"), "ontario": ("CA-ON", "Ontario"),
    "prince edward island": ("CA-PE", "Prince Edward Island"), "quebec": ("CA-QC", "Quebec"),
    "saskatchewan": ("CA-SK", "Saskatchewan"), "yukon": ("CA-YT", "Yukon"),
}
# Share key in canada_energy_mix.json -> key in carbon_intensity_per_source.json.
CANADA_SOURCE_KEYS = {
    "coal": "coal", "petroleum": "petroleum", "naturalGas": "natural_gas",
    "hydro": "hydroelectricity", "nuclear": "nuclear", "solar": "solar", "wind": "wind",
}
# Factors CodeCarbon's file lacks, gCO2e/kWh: IPCC AR5 WGIII Annex III (Schlömer et al.
# 2014), Table A.III.2 lifecycle medians: "biomass - dedicated" 230, "ocean" 17.
EXTRA_FACTORS = {"biomass": 230.0, "tidal": 17.0}
# "other" has no factor: its share is 0 in every province in the 2023 file; the
# build stops if that changes.

# Bidding zone -> (region code, name, country); the name gives the zone's main city.
NORDIC_ZONES: dict[str, tuple[str, str, str]] = {
    "SE1": ("SE-SE1", "Bidding zone SE1 (Luleå)", "SWE"),
    "SE2": ("SE-SE2", "Bidding zone SE2 (Sundsvall)", "SWE"),
    "SE3": ("SE-SE3", "Bidding zone SE3 (Stockholm)", "SWE"),
    "SE4": ("SE-SE4", "Bidding zone SE4 (Malmö)", "SWE"),
    "NO1": ("NO-NO1", "Bidding zone NO1 (Oslo)", "NOR"),
    "NO2": ("NO-NO2", "Bidding zone NO2 (Kristiansand)", "NOR"),
    "NO3": ("NO-NO3", "Bidding zone NO3 (Trondheim)", "NOR"),
    "NO4": ("NO-NO4", "Bidding zone NO4 (Tromsø)", "NOR"),
    "NO5": ("NO-NO5", "Bidding zone NO5 (Bergen)", "NOR"),
}

Row = tuple[str, str, str, str, str, str, str]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def ember_states(
    path: Path, country: str, iso3: str, names: dict[str, tuple[str, str]]
) -> list[Row]:
    """Return one row per state of ``country`` for Ember's newest year in ``path``."""
    rows = [r for r in _read_csv(path) if r["country"] == country]
    newest = max(int(r["year"]) for r in rows)
    table: list[Row] = []
    seen: set[str] = set()
    for row in rows:
        if int(row["year"]) != newest or not row["emissions_intensity_gco2_per_kwh"].strip():
            continue
        state = row["state"].strip()
        if state.endswith(" Total"):
            continue
        if state not in names:
            raise SystemExit(f"error: no ISO 3166-2 code for {country} state {state!r}")
        code, name = names[state]
        seen.add(state)
        value = float(row["emissions_intensity_gco2_per_kwh"])
        table.append(
            (iso3, code, name, f"{value:.2f}", str(newest), SOURCE_EMBER, BASIS_FACTORS)
        )
    missing = sorted(set(names) - seen)
    if missing:
        raise SystemExit(f"error: {country} {newest}: no figure for {missing}")
    return table


def canada_rows(mix_path: Path, factors_path: Path) -> list[Row]:
    """Return provinces' intensity: generation-share-weighted lifecycle factors."""
    mix = json.loads(mix_path.read_text(encoding="utf-8"))
    per_source = json.loads(factors_path.read_text(encoding="utf-8"))
    factors = {key: float(per_source[src]) for key, src in CANADA_SOURCE_KEYS.items()}
    factors.update(EXTRA_FACTORS)
    table: list[Row] = []
    for province, shares in mix.items():
        code, name = CANADA_PROVINCES[province]
        weighted = total = 0.0
        for key, share in shares.items():
            if key == "total":
                continue
            if key not in factors:
                if share:
                    raise SystemExit(f"error: {province}: no factor for {key} ({share} %)")
                continue
            weighted += float(share) * factors[key]
            total += float(share)
        value = weighted / total  # normalised: the shares sum to 99.8..100.2
        table.append(("CAN", code, name, f"{value:.2f}", "2023", SOURCE_CANADA, BASIS_FACTORS))
    return table


def nordic_rows(path: Path) -> list[Row]:
    """Return the Swedish and Norwegian bidding zones (Finland is a whole country).

    Stops on the older file whose zones all hold one placeholder value.
    """
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    table: list[Row] = []
    for zone, entry in data.items():
        if zone not in NORDIC_ZONES:
            continue  # FI: the whole of Finland, already in country_intensity.csv
        code, name, iso3 = NORDIC_ZONES[zone]
        value = float(entry["emission_factor"])
        year = str(entry["year"])
        table.append((iso3, code, name, f"{value:.2f}", year, SOURCE_NORDIC, BASIS_FACTORS))
    if len(table) != len(NORDIC_ZONES):
        raise SystemExit(f"error: {path}: expected zones {sorted(NORDIC_ZONES)}")
    if len({row[3] for row in table}) < 3:
        raise SystemExit(
            f"error: {path}: the zones share one value (the old placeholder); use "
            f"{NORDIC_DEFAULT.name} (CodeCarbon commit 26b19bc5) or newer"
        )
    return table


def check_ember_basis(path: Path, country: str) -> None:
    """Stop unless Ember's state emissions per fuel are IPCC's lifecycle factors.

    Ember's generation-by-fuel table gives each fuel's generation and
    emissions; their ratio is the factor Ember applied. Lifecycle factors
    count hydro, nuclear and wind above zero; direct (combustion) ones do not.
    """
    generation: dict[str, float] = {}
    emissions: dict[str, float] = {}
    for row in _read_csv(path):
        fuel = row["variable"]
        if row["country"] != country or fuel not in IPCC_LIFECYCLE or "Total" in row["state"]:
            continue
        generation[fuel] = generation.get(fuel, 0.0) + float(row["generation_gwh"] or 0)
        emissions[fuel] = emissions.get(fuel, 0.0) + float(row["emissions_ktco2"] or 0)
    for fuel, factor in IPCC_LIFECYCLE.items():
        implied = emissions[fuel] / generation[fuel] * 1000.0  # kt/GWh -> g/kWh
        if abs(implied - factor) > 0.5:
            raise SystemExit(
                f"error: {path}: {country} {fuel} emissions imply {implied:.1f} g/kWh, not "
                f"IPCC's lifecycle {factor:g}: check the basis of Ember's state figures"
            )
    print(f"{country}: Ember's state emissions use IPCC lifecycle factors (checked)")


def build(args: argparse.Namespace) -> None:
    """Write the region table and print a summary."""
    check_ember_basis(args.ember_usa_generation, "United States")
    check_ember_basis(args.ember_subnational_generation, "India")
    table = (
        ember_states(args.ember_usa, "United States", "USA", US_STATES)
        + ember_states(args.ember_subnational, "India", "IND", INDIA_STATES)
        + canada_rows(args.canada_mix, args.factors)
        + nordic_rows(args.nordic)
    )
    table.sort(key=lambda row: (row[0], row[1]))
    codes = [row[1] for row in table]
    if len(set(codes)) != len(codes):
        raise SystemExit("error: a region code appears twice")
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8", newline="") as handle:
        for line in HEADER_COMMENT:
            handle.write(line + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(table)
    print(f"wrote {output} ({len(table)} rows)")
    for iso3 in sorted({row[0] for row in table}):
        rows = [row for row in table if row[0] == iso3]
        low = min(rows, key=lambda row: float(row[3]))
        high = max(rows, key=lambda row: float(row[3]))
        print(
            f"{iso3}: {len(rows)} regions, year {rows[0][4]}, "
            f"lowest {low[1]} {low[3]}, highest {high[1]} {high[3]} g/kWh ({rows[0][6]})"
        )
    for code in ("US-CA", "US-VA", "IN-MH", "CA-QC", "CA-ON", "CA-AB", "SE-SE3"):
        row = next(row for row in table if row[1] == code)
        print(f"{code} {row[2]}: {row[3]} gCO2e/kWh ({row[4]})")


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ember = DATA_ROOT / "ember"
    infra = DATA_ROOT / "codecarbon" / "private_infra"
    parser.add_argument("--ember-usa", type=Path, default=ember / "api_overview_usa_yearly.csv")
    parser.add_argument(
        "--ember-subnational", type=Path, default=ember / "api_subnational_overview_yearly.csv"
    )
    parser.add_argument(
        "--ember-usa-generation", type=Path, default=ember / "api_generation_usa_yearly.csv"
    )
    parser.add_argument(
        "--ember-subnational-generation",
        type=Path,
        default=ember / "api_subnational_generation_yearly.csv",
    )
    parser.add_argument(
        "--canada-mix", type=Path, default=infra / "2023" / "canada_energy_mix.json"
    )
    parser.add_argument("--factors", type=Path, default=infra / "carbon_intensity_per_source.json")
    parser.add_argument("--nordic", type=Path, default=NORDIC_DEFAULT)
    parser.add_argument("--output", type=Path, default=OUTPUT, help="CSV file to write")
    build(parser.parse_args(argv))


if __name__ == "__main__":
    main()

"""Build ``cloud_regions.csv`` and ``cloud_providers.csv`` in ``src/wattprint/grid/data/``.

``cloud_regions.csv`` maps each GCP, AWS and Azure region to the country (ISO
alpha-3) and, where the location is known and wattprint has regional data,
the state, province or bidding zone (a code of ``region_intensity.csv``)
whose grid supplies it. GCP rows also carry Google's own location-based grid
intensity and carbon-free-energy share for the newest year Google publishes.
AWS and Azure publish no region intensity; the region lists come from Cloud
Carbon Footprint (whose grid factors are CCF's own and are not copied) and,
for Azure regions CCF lacks, Green Algorithms. A few AWS regions newer than
CCF's list are added from AWS's public region list (``AWS_NEWER``).

``cloud_providers.csv`` holds each provider's published fleet PUE and WUE
(``PROVIDERS``), typed in from the providers' own reports.

The build checks that every region of the source lists is mapped or
deliberately left out, that every country exists in ``country_intensity.csv``
and every subdivision in ``region_intensity.csv`` (run
``build_region_intensity.py`` first).

Run from the repository root (defaults point at ``../shared/data``)::

    python scripts/build_cloud_regions.py
"""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = next(  # ../shared/data beside the checkout, or beside a worktree's parent
    (p / "shared" / "data" for p in REPO_ROOT.parents[:2] if (p / "shared" / "data").is_dir()),
    REPO_ROOT.parent / "shared" / "data",
)
PACKAGE_DATA = REPO_ROOT / "src" / "wattprint" / "grid" / "data"

REGION_COLUMNS = (
    "provider", "region", "name", "country_iso3", "subdivision",
    "provider_intensity_g_per_kwh", "cfe_share", "year", "source", "basis",
)
# Google's figures come from Electricity Maps, lifecycle gCO2e (Google's 2019-2020
# files name the column "Lifecycle grid carbon intensity"); AWS and Azure give none.
BASIS_GOOGLE = "lifecycle"
PROVIDER_COLUMNS = ("provider", "pue", "wue_l_per_kwh", "year", "source")
SRC_GOOGLE = "Google Cloud region-carbon-info (Apache-2.0)"
SRC_CCF = "location: Cloud Carbon Footprint region list (Apache-2.0)"
SRC_GA = "location: Green Algorithms cloudProviders_datacenters (CC BY 4.0)"
SRC_AWS = "location: AWS public region list"

# region -> (location name, country ISO alpha-3, region_intensity.csv code or "").
Place = tuple[str, str, str]
GCP: dict[str, Place] = {
    "africa-south1": ("Johannesburg", "ZAF", ""),
    "asia-east1": ("Changhua County, Taiwan", "TWN", ""),
    "asia-east2": ("Hong Kong", "HKG", ""), "asia-northeast1": ("Tokyo", "JPN", ""),
    "asia-northeast2": ("Osaka", "JPN", ""), "asia-northeast3": ("Seoul", "KOR", ""),
    "asia-south1": ("Mumbai", "IND", "IN-MH"), "asia-south2": ("Delhi", "IND", "IN-DL"),
    "asia-southeast1": ("Singapore", "SGP", ""), "asia-southeast2": ("Jakarta", "IDN", ""),
    "australia-southeast1": ("Sydney", "AUS", ""),
    "australia-southeast2": ("Melbourne", "AUS", ""),
    "europe-central2": ("Warsaw", "POL", ""), "europe-north1": ("Hamina, Finland", "FIN", ""),
    "europe-north2": ("Stockholm", "SWE", "SE-SE3"), "europe-southwest1": ("Madrid", "ESP", ""),
    "europe-west1": ("St. Ghislain, Belgium", "BEL", ""), "europe-west2": ("London", "GBR", ""),
    "europe-west3": ("Frankfurt", "DEU", ""),
    "europe-west4": ("Eemshaven, Netherlands", "NLD", ""),
    "europe-west6": ("Zürich", "CHE", ""), "europe-west8": ("Milan", "ITA", ""),
    "europe-west9": ("Paris", "FRA", ""), "europe-west10": ("Berlin", "DEU", ""),
    "europe-west12": ("Turin", "ITA", ""), "me-central1": ("Doha", "QAT", ""),
    "me-central2": ("Dammam", "SAU", ""), "me-west1": ("Tel Aviv", "ISR", ""),
    "northamerica-northeast1": ("Montréal", "CAN", "CA-QC"),
    "northamerica-northeast2": ("Toronto", "CAN", "CA-ON"),
    "northamerica-south1": ("Querétaro, Mexico", "MEX", ""),
    "southamerica-east1": ("São Paulo", "BRA", ""), "southamerica-west1": ("Santiago", "CHL", ""),
    "us-central1": ("Council Bluffs, Iowa", "USA", "US-IA"),
    "us-central2": ("Oklahoma", "USA", "US-OK"),
    "us-east1": ("Moncks Corner, South Carolina", "USA", "US-SC"),
    "us-east2": ("Georgia", "USA", "US-GA"),
    "us-east4": ("Ashburn, Northern Virginia", "USA", "US-VA"),
    "us-east5": ("Columbus, Ohio", "USA", "US-OH"), "us-south1": ("Dallas, Texas", "USA", "US-TX"),
    "us-west1": ("The Dalles, Oregon", "USA", "US-OR"),
    "us-west2": ("Los Angeles, California", "USA", "US-CA"),
    "us-west3": ("Salt Lake City, Utah", "USA", "US-UT"),
    "us-west4": ("Las Vegas, Nevada", "USA", "US-NV"),
}
AWS: dict[str, Place] = {
    "us-east-1": ("Northern Virginia", "USA", "US-VA"), "us-east-2": ("Ohio", "USA", "US-OH"),
    "us-west-1": ("Northern California", "USA", "US-CA"), "us-west-2": ("Oregon", "USA", "US-OR"),
    "us-gov-east-1": ("GovCloud (US-East)", "USA", ""),  # state not published by AWS
    "us-gov-west-1": ("GovCloud (US-West)", "USA", ""),
    "af-south-1": ("Cape Town", "ZAF", ""), "ap-east-1": ("Hong Kong", "HKG", ""),
    "ap-south-1": ("Mumbai", "IND", "IN-MH"), "ap-northeast-1": ("Tokyo", "JPN", ""),
    "ap-northeast-2": ("Seoul", "KOR", ""), "ap-northeast-3": ("Osaka", "JPN", ""),
    "ap-southeast-1": ("Singapore", "SGP", ""), "ap-southeast-2": ("Sydney", "AUS", ""),
    "ap-southeast-3": ("Jakarta", "IDN", ""), "ca-central-1": ("Montréal", "CAN", "CA-QC"),
    "cn-north-1": ("Beijing", "CHN", ""), "cn-northwest-1": ("Ningxia", "CHN", ""),
    "eu-central-1": ("Frankfurt", "DEU", ""), "eu-west-1": ("Ireland", "IRL", ""),
    "eu-west-2": ("London", "GBR", ""), "eu-west-3": ("Paris", "FRA", ""),
    "eu-south-1": ("Milan", "ITA", ""), "eu-north-1": ("Stockholm", "SWE", "SE-SE3"),
    "me-south-1": ("Bahrain", "BHR", ""), "me-central-1": ("United Arab Emirates", "ARE", ""),
    "sa-east-1": ("São Paulo", "BRA", ""),
}
AWS_NEWER: dict[str, Place] = {
    "ap-south-2": ("Hyderabad", "IND", "IN-TS"), "ap-southeast-4": ("Melbourne", "AUS", ""),
    "ap-southeast-5": ("Malaysia", "MYS", ""), "ap-southeast-7": ("Thailand", "THA", ""),
    "ca-west-1": ("Calgary", "CAN", "CA-AB"), "eu-central-2": ("Zurich", "CHE", ""),
    "eu-south-2": ("Aragón, Spain", "ESP", ""), "il-central-1": ("Tel Aviv", "ISR", ""),
    "mx-central-1": ("Querétaro, Mexico", "MEX", ""),
}
AZURE: dict[str, Place] = {
    "southafricanorth": ("Johannesburg", "ZAF", ""), "southafricawest": ("Cape Town", "ZAF", ""),
    "australiacentral": ("Canberra", "AUS", ""), "australiacentral2": ("Canberra", "AUS", ""),
    "australiaeast": ("New South Wales", "AUS", ""), "australiasoutheast": ("Victoria", "AUS", ""),
    "japaneast": ("Tokyo, Saitama", "JPN", ""), "japanwest": ("Osaka", "JPN", ""),
    "koreacentral": ("Seoul", "KOR", ""), "koreasouth": ("Busan", "KOR", ""),
    "eastasia": ("Hong Kong", "HKG", ""), "southeastasia": ("Singapore", "SGP", ""),
    "centralindia": ("Pune", "IND", "IN-MH"), "southindia": ("Chennai", "IND", "IN-TN"),
    "westindia": ("Mumbai", "IND", "IN-MH"), "jioindiacentral": ("Nagpur", "IND", "IN-MH"),
    "jioindiawest": ("Jamnagar", "IND", "IN-GJ"), "northeurope": ("Ireland", "IRL", ""),
    "westeurope": ("Netherlands", "NLD", ""), "francecentral": ("Paris", "FRA", ""),
    "francesouth": ("Marseille", "FRA", ""), "swedencentral": ("Gävle", "SWE", ""),
    "switzerlandnorth": ("Zurich", "CHE", ""), "switzerlandwest": ("Geneva", "CHE", ""),
    "uksouth": ("London", "GBR", ""), "ukwest": ("Cardiff", "GBR", ""),
    "germanynorth": ("Berlin", "DEU", ""), "germanywestcentral": ("Frankfurt", "DEU", ""),
    "norwayeast": ("Oslo", "NOR", "NO-NO1"), "norwaywest": ("Stavanger", "NOR", "NO-NO2"),
    "uaecentral": ("Abu Dhabi", "ARE", ""), "uaenorth": ("Dubai", "ARE", ""),
    "canadacentral": ("Toronto", "CAN", "CA-ON"), "canadaeast": ("Quebec City", "CAN", "CA-QC"),
    "centralus": ("Iowa", "USA", "US-IA"), "centraluseuap": ("Iowa", "USA", "US-IA"),
    "eastus": ("Virginia", "USA", "US-VA"), "eastus2": ("Virginia", "USA", "US-VA"),
    "eastus2euap": ("Virginia", "USA", "US-VA"), "eastus3": ("Georgia", "USA", "US-GA"),
    "northcentralus": ("Illinois", "USA", "US-IL"), "southcentralus": ("Texas", "USA", "US-TX"),
    "westcentralus": ("Wyoming", "USA", "US-WY"), "westus": ("California", "USA", "US-CA"),
    "westus2": ("Washington", "USA", "US-WA"), "westus3": ("Arizona", "USA", "US-AZ"),
    "brazilsouth": ("São Paulo", "BRA", ""), "brazilsoutheast": ("Rio de Janeiro", "BRA", ""),
    "finlandcentral": ("Helsinki", "FIN", ""), "belgiumcentral": ("Brussels", "BEL", ""),
    "chinaeast": ("Shanghai", "CHN", ""), "chinaeast2": ("Shanghai", "CHN", ""),
    "chinanorth": ("Beijing", "CHN", ""), "chinanorth2": ("Beijing", "CHN", ""),
    "israelcentral": ("Israel", "ISR", ""), "italynorth": ("Milan", "ITA", ""),
    "mexicocentral": ("Querétaro", "MEX", ""), "newzealandnorth": ("Auckland", "NZL", ""),
    "polandcentral": ("Warsaw", "POL", ""), "qatarcentral": ("Doha", "QAT", ""),
    "spaincentral": ("Madrid", "ESP", ""),
}
# Names in the source lists that are not regions: Azure geographies (billing
# groups spanning several regions), CCF staging entries and averages, and the
# retired German sovereign cloud.
AZURE_NOT_REGIONS = {
    "southafrica", "australia", "japan", "korea", "asia", "asiapacific", "india", "uk",
    "germany", "norway", "uae", "canada", "unitedstates", "unitedstateseuap", "brazil",
    "france", "switzerland", "apeast", "apsoutheast", "usnorth", "unknown",
    "germanycentral", "germanynortheastt",
}
NOT_REGIONS = {"unknown"}

# provider -> (PUE, WUE in L per kWh of IT energy, year, source): fleet figures.
PROVIDERS: dict[str, tuple[str, str, str, str]] = {
    "gcp": ("1.10", "1.06", "2023", (
        "Google 2024 Environmental Report: fleet annual PUE 1.10 (2023); WUE derived from the "
        "same report: 6.1e9 US gal consumed by data centres / (24 TWh / PUE 1.10)")),
    "aws": ("1.15", "0.18", "2023", (
        "Amazon: global PUE 1.15 for 2023 (AWS, re:Invent Dec 2024; aws.amazon.com/sustainability);"
        " global WUE 0.18 L/kWh (Amazon 2023 Sustainability Report)")),
    "azure": ("1.18", "0.30", "2024", (
        "Microsoft: fleet average PUE 1.18 (datacenters.microsoft.com efficiency page, 2024);"
        " WUE 0.30 L/kWh in fiscal year 2024 (Microsoft, Dec 2024)")),
}

Row = tuple[str, str, str, str, str, str, str, str, str, str]


def _read_csv(path: Path, skip: int = 0) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for _ in range(skip):
            handle.readline()
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        return list(csv.DictReader(lines))


def azure_key(name: str) -> str:
    """Return Azure's programmatic name for a display name: ``West Europe`` -> ``westeurope``."""
    name = re.sub(r"\(.*?\)", "", name)
    return re.sub(r"[^a-z0-9]", "", name.lower())


def google_newest(folder: Path) -> dict[str, tuple[int, str, str]]:
    """Return region -> (year, intensity, cfe) from Google's newest yearly file holding it."""
    newest: dict[str, tuple[int, str, str]] = {}
    for path in sorted(folder.glob("20[0-9][0-9].csv")):
        year = int(path.stem)
        for row in _read_csv(path):
            region = row["Google Cloud Region"].strip()
            if not region:
                continue
            intensity = next(v for k, v in row.items() if k and "carbon intensity" in k).strip()
            newest[region] = (year, intensity, row["Google CFE"].strip())
    return newest


def gcp_rows(folder: Path) -> list[Row]:
    """Return the GCP rows: Google's newest intensity and CFE share per region."""
    rows: list[Row] = []
    for region, (year, intensity, cfe) in sorted(google_newest(folder).items()):
        if region not in GCP:
            raise SystemExit(f"error: GCP region {region!r} has no location; add it to GCP")
        name, iso3, sub = GCP[region]
        value = f"{float(intensity):.2f}" if intensity else ""
        share = f"{float(cfe):.2f}" if cfe else ""
        basis = BASIS_GOOGLE if value else ""
        rows.append(("gcp", region, name, iso3, sub, value, share, str(year), SRC_GOOGLE, basis))
    return rows


def listed_rows(
    provider: str, names: set[str], mapping: dict[str, Place], skip: set[str], source: str
) -> list[Row]:
    """Return rows for ``names`` (a source list): each must be mapped or in ``skip``."""
    rows: list[Row] = []
    for region in sorted(names - skip):
        if region not in mapping:
            raise SystemExit(f"error: {provider} region {region!r} has no location")
        name, iso3, sub = mapping[region]
        rows.append((provider, region, name, iso3, sub, "", "", "", source, ""))
    return rows


def build(args: argparse.Namespace) -> None:
    """Write both tables, check them and print a summary."""
    ccf = _read_csv(args.ccf)
    ccf_aws = {r["region"].lower() for r in ccf if r["provider"] == "aws"}
    ccf_aws |= {r["Region"].lower() for r in _read_csv(args.ccf_aws)}
    ccf_azure = {azure_key(r["region"]) for r in ccf if r["provider"] == "azure"}
    ccf_azure = {name for name in ccf_azure if not name.endswith("stage")}  # CCF staging
    ccf_azure |= {azure_key(r["Region"]) for r in _read_csv(args.ccf_azure)}
    ga_azure = {azure_key(r["Name"]) for r in _read_csv(args.green_algorithms, skip=1)
                if r["provider"] == "azure"}
    rows = gcp_rows(args.google)
    rows += listed_rows("aws", ccf_aws, AWS, NOT_REGIONS, SRC_CCF)
    rows += listed_rows("aws", set(AWS_NEWER), AWS_NEWER, ccf_aws, SRC_AWS)
    rows += listed_rows("azure", ccf_azure, AZURE, AZURE_NOT_REGIONS, SRC_CCF)
    rows += listed_rows("azure", ga_azure, AZURE, AZURE_NOT_REGIONS | ccf_azure, SRC_GA)
    unused = (set(AWS) - ccf_aws) | (set(AZURE) - ccf_azure - ga_azure)
    if unused:
        raise SystemExit(f"error: mapped but in no source list: {sorted(unused)}")
    countries = {r["iso3"] for r in _read_csv(args.countries)}
    subdivisions = {(r["country_iso3"], r["code"]) for r in _read_csv(args.regions)}
    for row in rows:
        if row[3] not in countries:
            raise SystemExit(f"error: {row[0]} {row[1]}: {row[3]} not in {args.countries}")
        if row[4] and (row[3], row[4]) not in subdivisions:
            raise SystemExit(f"error: {row[0]} {row[1]}: {row[4]} not in {args.regions}")
    rows.sort(key=lambda row: (row[0], row[1]))
    _write(args.output, REGION_COLUMNS, rows, (
        "# Cloud regions -> country (ISO alpha-3) and state/province/zone; GCP: Google's grid",
        "# intensity (gCO2e/kWh, location-based, lifecycle) and CFE share. See SOURCES.md.",
        "# Built by scripts/build_cloud_regions.py.",
    ))
    providers = [(p, *values) for p, values in PROVIDERS.items()]
    _write(args.providers_output, PROVIDER_COLUMNS, providers, (
        "# Cloud providers' published fleet PUE and WUE (L per kWh of IT energy).",
        "# Built by scripts/build_cloud_regions.py; see SOURCES.md in this folder.",
    ))
    print(f"wrote {args.output} ({len(rows)} rows)")
    for provider in ("gcp", "aws", "azure"):
        mine = [row for row in rows if row[0] == provider]
        located = sum(1 for row in mine if row[4])
        print(f"{provider}: {len(mine)} regions, {located} with a subdivision")
    for provider, region in (("gcp", "europe-west1"), ("gcp", "northamerica-northeast1"),
                             ("aws", "us-east-1"), ("azure", "westeurope")):
        row = next(r for r in rows if r[0] == provider and r[1] == region)
        place = f"{row[3]} {row[4] or '-'}"
        print(f"{provider} {region}: {place}, {row[5] or '-'} g/kWh, CFE {row[6] or '-'}")
    print(f"wrote {args.providers_output} ({len(providers)} rows)")
    for provider, pue, wue, year, _ in providers:
        print(f"{provider}: PUE {pue}, WUE {wue} L/kWh ({year})")


def _write(
    path: Path, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]], header: tuple[str, ...]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for line in header:
            handle.write(line + "\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and build the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ccf = DATA_ROOT / "cloud-carbon-footprint"
    parser.add_argument("--google", type=Path, default=DATA_ROOT / "google-cloud-region-carbon")
    parser.add_argument("--ccf", type=Path, default=ccf / "ccf_emission_factors_by_region.csv")
    parser.add_argument(
        "--ccf-aws", type=Path, default=ccf / "ccfcoef_grid-emissions-factors-aws.csv"
    )
    parser.add_argument(
        "--ccf-azure", type=Path, default=ccf / "ccfcoef_grid-emissions-factors-azure.csv"
    )
    parser.add_argument(
        "--green-algorithms", type=Path,
        default=DATA_ROOT / "green-algorithms" / "cloudProviders_datacenters.csv",
    )
    parser.add_argument("--countries", type=Path, default=PACKAGE_DATA / "country_intensity.csv")
    parser.add_argument("--regions", type=Path, default=PACKAGE_DATA / "region_intensity.csv")
    parser.add_argument("--output", type=Path, default=PACKAGE_DATA / "cloud_regions.csv")
    parser.add_argument(
        "--providers-output", type=Path, default=PACKAGE_DATA / "cloud_providers.csv"
    )
    build(parser.parse_args(argv))


if __name__ == "__main__":
    main()

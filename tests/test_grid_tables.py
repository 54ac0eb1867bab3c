"""Tests of the shipped grid tables: monthly, regional, cloud and water.

Expected figures were read by hand from the raw public files the build
scripts use (Ember, Google region-carbon-info, CodeCarbon, OWID, GCAM); the
tests read only the package's own CSV files.
"""

from __future__ import annotations

import csv
import io
import pickle
import re
from importlib import resources
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, DataError
from wattprint.grid.cloud_regions import CloudRegion, CloudTable, ProviderEfficiency
from wattprint.grid.monthly import MonthlyIntensity, MonthlyTable
from wattprint.grid.regions import RegionIntensity, RegionTable
from wattprint.grid.water import WaterIntensity, WaterTable

ISO3 = re.compile(r"[A-Z]{3}")
REGION_CODE = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")


def _table(name: str) -> list[dict[str, str]]:
    text = resources.files("wattprint.grid").joinpath("data", name).read_text(encoding="utf-8")
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    return list(csv.DictReader(lines))


@pytest.fixture(scope="module")
def countries() -> set[str]:
    return {row["iso3"] for row in _table("country_intensity.csv")}


@pytest.fixture(scope="module")
def region_codes() -> dict[str, str]:
    return {row["code"]: row["country_iso3"] for row in _table("region_intensity.csv")}


@pytest.fixture(scope="module")
def monthly() -> MonthlyTable:
    return MonthlyTable()


@pytest.fixture(scope="module")
def regions() -> RegionTable:
    return RegionTable()


@pytest.fixture(scope="module")
def cloud() -> CloudTable:
    return CloudTable()


@pytest.fixture(scope="module")
def water() -> WaterTable:
    return WaterTable()


# --- table integrity ---------------------------------------------------------


def test_monthly_table_integrity(countries: set[str]) -> None:
    rows = _table("country_monthly.csv")
    assert len(rows) > 9000
    keys = [(row["iso3"], row["month"]) for row in rows]
    assert len(set(keys)) == len(keys)
    for row in rows:
        assert ISO3.fullmatch(row["iso3"]) and row["iso3"] in countries
        assert re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", row["month"])
        assert 0 <= float(row["intensity_g_per_kwh"]) <= 1500
        assert row["source"] == "Ember (2025)"
        assert row["basis"] == "lifecycle"  # Ember's monthly figures are lifecycle


def test_region_table_integrity(countries: set[str]) -> None:
    rows = _table("region_intensity.csv")
    codes = [row["code"] for row in rows]
    assert len(set(codes)) == len(codes)
    for row in rows:
        assert row["country_iso3"] in countries
        assert REGION_CODE.fullmatch(row["code"]), row["code"]
        assert row["name"] and row["source"]
        assert 0 < float(row["intensity_g_per_kwh"]) <= 1500
        assert 2020 <= int(row["year"]) <= 2025
        # Every shipped region is lifecycle: Ember's states are generation x IPCC's
        # lifecycle medians per fuel (hydro 24, nuclear 12: not zero as direct CO2 would be).
        assert row["basis"] == "lifecycle", row
    per_country: dict[str, int] = {}
    for row in rows:
        per_country[row["country_iso3"]] = per_country.get(row["country_iso3"], 0) + 1
    # All 50 states + DC + Puerto Rico; Ember's 36 Indian states/UTs; 13 provinces.
    assert per_country == {"USA": 52, "IND": 36, "CAN": 13, "SWE": 4, "NOR": 5}
    prefixes = {"USA": "US-", "IND": "IN-", "CAN": "CA-", "SWE": "SE-SE", "NOR": "NO-NO"}
    assert all(row["code"].startswith(prefixes[row["country_iso3"]]) for row in rows)


def test_cloud_table_integrity(countries: set[str], region_codes: dict[str, str]) -> None:
    rows = _table("cloud_regions.csv")
    keys = [(row["provider"], row["region"]) for row in rows]
    assert len(set(keys)) == len(keys)
    assert {row["provider"] for row in rows} == {"gcp", "aws", "azure"}
    for row in rows:
        assert row["country_iso3"] in countries, row
        if row["subdivision"]:
            assert region_codes[row["subdivision"]] == row["country_iso3"], row
        assert row["source"] and row["name"]
        if row["provider"] == "gcp":
            assert 0 <= float(row["provider_intensity_g_per_kwh"]) <= 1500
            assert 0 <= float(row["cfe_share"]) <= 1
            assert int(row["year"]) == 2024
            assert row["basis"] == "lifecycle"  # Google's figures: Electricity Maps, lifecycle
        else:  # AWS and Azure publish no region intensity
            assert row["provider_intensity_g_per_kwh"] == row["cfe_share"] == row["year"] == ""
            assert row["basis"] == ""
    # Every US, Canadian and Indian region but GovCloud knows its state.
    for row in rows:
        if row["country_iso3"] in ("USA", "CAN", "IND") and "GovCloud" not in row["name"]:
            assert row["subdivision"], row


def test_provider_table_integrity() -> None:
    rows = _table("cloud_providers.csv")
    assert sorted(row["provider"] for row in rows) == ["aws", "azure", "gcp"]
    for row in rows:
        assert 1 <= float(row["pue"]) <= 2
        assert 0 <= float(row["wue_l_per_kwh"]) <= 10
        assert 2020 <= int(row["year"]) <= 2025
        assert row["source"]


def test_water_table_integrity(countries: set[str], region_codes: dict[str, str]) -> None:
    rows = _table("water_intensity.csv")
    keys = [row["key"] for row in rows]
    assert len(set(keys)) == len(keys)
    assert "WLD" in keys
    for row in rows:
        assert row["key"] in countries or row["key"] in region_codes, row["key"]
        assert 0 <= float(row["water_l_per_kwh"]) <= 10
        assert 2020 <= int(row["year"]) <= 2025
        assert row["source"] and row["detail"].startswith(f"{row['year']} mix: ")
    # every US state, Indian state and Canadian province has a row
    assert {code for code in region_codes if not code.startswith(("SE-", "NO-"))} <= set(keys)


# --- spot values against the raw files ---------------------------------------


def test_monthly_spot_values(monthly: MonthlyTable) -> None:
    # Ember api_country_overview_monthly.csv: France 2024-01-01 45.731, Argentina 2018-01 404.389.
    assert monthly.lookup("FRA", 2024, 1) == MonthlyIntensity(
        "FRA", 2024, 1, 45.73, "Ember (2025)", "lifecycle"
    )
    france = monthly.lookup("FRA", 2024, 4)
    assert france is not None and france.intensity_g_per_kwh == pytest.approx(23.34)
    argentina = monthly.lookup("ARG", 2018, 1)
    assert argentina is not None and argentina.intensity_g_per_kwh == pytest.approx(404.39)


def test_region_spot_values(regions: RegionTable) -> None:
    # Ember api_overview_usa_yearly.csv, 2024.
    california = regions.lookup("USA", "US-CA")
    assert california == RegionIntensity(
        "USA",
        "US-CA",
        "California",
        199.67,
        2024,
        "Ember (2025), in-state generation, IPCC lifecycle factors",
        "lifecycle",
    )
    assert regions.lookup("USA", "US-WV").intensity_g_per_kwh == pytest.approx(734.67)
    assert regions.lookup("USA", "US-DC").intensity_g_per_kwh == pytest.approx(158.09)
    # Ember api_subnational_overview_yearly.csv, Maharashtra 2021.
    maharashtra = regions.lookup("IND", "IN-MH")
    assert maharashtra.intensity_g_per_kwh == pytest.approx(656.56)
    assert maharashtra.year == 2021
    assert maharashtra.basis == "lifecycle"
    # Quebec 2023 shares x factors: (0.2x743 + 0.3x816 + 0.7x230 + 0.01x48 + 6.7x26
    # + 92.1x26) / 100.01 = 3123.68 / 100.01.
    quebec = regions.lookup("CAN", "CA-QC")
    assert quebec.intensity_g_per_kwh == pytest.approx(31.23, abs=0.01)
    assert (quebec.year, quebec.basis) == (2023, "lifecycle")
    assert regions.lookup("CAN", "AB").intensity_g_per_kwh > 10 * quebec.intensity_g_per_kwh
    zone = regions.lookup("SWE", "SE-SE3")
    # CodeCarbon nordic_emissions.json at commit 26b19bc5: SE3 27.0 (2025), from ENTSO-E A75.
    assert (zone.intensity_g_per_kwh, zone.year, zone.name, zone.basis) == (
        27.0,
        2025,
        "Bidding zone SE3 (Stockholm)",
        "lifecycle",
    )
    assert "ENTSO-E" in zone.source and "CodeCarbon" in zone.source


def test_cloud_spot_values(cloud: CloudTable) -> None:
    # Google region-carbon-info 2024.csv: europe-west1,Belgium,0.84,103.37.
    belgium = cloud.lookup("gcp", "europe-west1")
    assert belgium.country_iso3 == "BEL" and belgium.subdivision == ""
    assert belgium.provider_intensity_g_per_kwh == pytest.approx(103.37)
    assert belgium.cfe_share == pytest.approx(0.84)
    assert (belgium.year, belgium.provider_basis) == (2024, "lifecycle")
    montreal = cloud.lookup("gcp", "northamerica-northeast1")
    assert (montreal.subdivision, montreal.provider_intensity_g_per_kwh) == ("CA-QC", 5.48)
    virginia = cloud.lookup("aws", "us-east-1")
    assert (virginia.country_iso3, virginia.subdivision) == ("USA", "US-VA")
    assert virginia.provider_intensity_g_per_kwh is None and virginia.year is None
    assert virginia.provider_basis is None
    assert cloud.lookup("aws", "us-west-2").subdivision == "US-OR"
    assert cloud.lookup("azure", "westeurope").country_iso3 == "NLD"
    assert cloud.lookup("azure", "canadaeast").subdivision == "CA-QC"


def test_provider_efficiency(cloud: CloudTable) -> None:
    assert cloud.efficiency("gcp").pue == pytest.approx(1.10)
    aws = cloud.efficiency("aws")
    assert isinstance(aws, ProviderEfficiency)
    assert (aws.pue, aws.wue_l_per_kwh, aws.year) == (1.15, 0.18, 2023)
    assert "Amazon" in aws.source
    assert cloud.efficiency("Microsoft") == cloud.efficiency("azure")


def test_water_spot_values(water: WaterTable) -> None:
    # OWID 2021 World TWh x factors: (10042.2x2.6 + 6098.08x0.75 + 851.79x3.13
    # + 2735.52x2.54 + 645.67x2.09 + 1023.1x0.02 + 104.32x6.8) / 27520.52 = 1.540.
    world = water.world()
    assert (world.key, world.year) == ("WLD", 2021)
    assert world.water_l_per_kwh == pytest.approx(1.540, abs=0.001)
    # Ember 2024 West Virginia GWh: coal 43075.39, gas 3864.21, other fossil 157.52,
    # bioenergy 7.74, solar 267.74 (hydro 1530.26, wind 2002.71 count 0) -> 2.267.
    west_virginia = water.lookup("USA", "US-WV")
    assert west_virginia is not None
    assert west_virginia.water_l_per_kwh == pytest.approx(2.267, abs=0.001)
    assert west_virginia.year == 2024
    norway = water.lookup("NOR")
    assert norway is not None and norway.water_l_per_kwh < 0.1  # hydro and wind


# --- lookups by every accepted spelling ---------------------------------------


@pytest.mark.parametrize(
    ("country", "spelling", "code"),
    [
        ("USA", "US-CA", "US-CA"),
        ("USA", "CA", "US-CA"),
        ("USA", "ca", "US-CA"),
        ("USA", "California", "US-CA"),
        ("usa", " california ", "US-CA"),
        ("US", "us-ca", "US-CA"),
        ("USA", "District of Columbia", "US-DC"),
        ("USA", "Washington, D.C.", "US-DC"),
        ("USA", "Washington", "US-WA"),
        ("CAN", "CA-QC", "CA-QC"),
        ("CAN", "québec", "CA-QC"),
        ("CAN", "Quebec", "CA-QC"),
        ("CAN", "QC", "CA-QC"),
        ("CAN", "Newfoundland and Labrador", "CA-NL"),
        ("IND", "IN-MH", "IN-MH"),
        ("IND", "mh", "IN-MH"),
        ("IND", "Maharashtra", "IN-MH"),
        ("IND", "Tamil Nadu", "IN-TN"),
        ("IND", "IN-OR", "IN-OD"),
        ("IND", "Orissa", "IN-OD"),
        ("IND", "IN-TG", "IN-TS"),
        ("SWE", "SE-SE3", "SE-SE3"),
        ("SWE", "se3", "SE-SE3"),
        ("NOR", "NO5", "NO-NO5"),
    ],
)
def test_region_spellings(regions: RegionTable, country: str, spelling: str, code: str) -> None:
    assert regions.lookup(country, spelling).code == code


def test_region_listing(regions: RegionTable) -> None:
    assert regions.countries() == ("CAN", "IND", "NOR", "SWE", "USA")
    us = regions.regions("USA")
    assert len(us) == 52 and [r.code for r in us] == sorted(r.code for r in us)
    assert regions.regions("DEU") == []
    assert len(regions.regions()) == 110


@pytest.mark.parametrize(
    ("provider", "spelling", "region"),
    [
        ("gcp", "europe-west1", "europe-west1"),
        ("GCP", "europe-west1-b", "europe-west1"),
        ("google", "Europe-West1", "europe-west1"),
        ("Google Cloud", "us-central1-a", "us-central1"),
        ("aws", "us-east-1", "us-east-1"),
        ("Amazon", "us-east-1a", "us-east-1"),
        ("AWS", "eu-west-3c", "eu-west-3"),
        ("amazon web services", "us-gov-west-1a", "us-gov-west-1"),
        ("azure", "westeurope", "westeurope"),
        ("Microsoft", "West Europe", "westeurope"),
        ("AZURE", "East US 2", "eastus2"),
        ("microsoft azure", "Canada Central", "canadacentral"),
    ],
)
def test_cloud_spellings(cloud: CloudTable, provider: str, spelling: str, region: str) -> None:
    found = cloud.lookup(provider, spelling)
    assert isinstance(found, CloudRegion)
    assert found.region == region


def test_cloud_listing(cloud: CloudTable) -> None:
    gcp = cloud.regions("google")
    assert {row.provider for row in gcp} == {"gcp"}
    assert len(gcp) == 44
    everything = cloud.regions()
    assert len(everything) == len(_table("cloud_regions.csv"))
    assert everything == sorted(everything, key=lambda row: (row.provider, row.region))


def test_monthly_lookups(monthly: MonthlyTable) -> None:
    assert monthly.lookup(" fra ", 2024, 1) == monthly.lookup("FRA", 2024, 1)
    assert monthly.lookup("FRA", 1990, 1) is None
    assert monthly.lookup("XXX", 2024, 1) is None
    months = monthly.months("fra")
    assert months == sorted(months, key=lambda row: (row.year, row.month))
    assert (months[0].year, months[0].month) == (2015, 1)
    assert monthly.months("XXX") == []
    assert "WLD" in monthly.countries() and "FRA" in monthly.countries()


def test_a_month_looked_up_by_its_line_is_the_month_of_the_whole_parse() -> None:
    """The shipped table's one-line lookup (a run's) agrees with each country's full parse."""
    whole = MonthlyTable()
    for iso3 in whole.countries():
        months = whole.months(iso3)
        for entry in (months[0], months[len(months) // 2], months[-1]):
            assert MonthlyTable().lookup(iso3.lower(), entry.year, entry.month) == entry
        last = months[-1]
        assert MonthlyTable().lookup(iso3, last.year + 1, last.month) is None


def test_water_lookups(water: WaterTable) -> None:
    california = water.lookup("USA", "California")
    assert isinstance(california, WaterIntensity) and california.key == "US-CA"
    assert water.lookup("USA", "CA") == california == water.lookup("usa", "US-CA")
    assert water.lookup("CAN", "québec") == water.lookup("CAN", "CA-QC")
    usa = water.lookup("USA")
    assert usa is not None and usa.key == "USA"
    # a country without regional data, and a zone without a mix: the country row
    germany = water.lookup("DEU", "Bavaria")
    assert germany is not None and germany.key == "DEU"
    sweden = water.lookup("SWE", "SE3")
    assert sweden is not None and sweden.key == "SWE"
    assert water.lookup("XXX") is None


# --- errors name the bad value and suggest ------------------------------------


def test_unknown_region_names_it_and_suggests(regions: RegionTable) -> None:
    with pytest.raises(ConfigError) as info:
        regions.lookup("USA", "Californa")
    assert (info.value.key, info.value.value) == ("region", "Californa")
    message = str(info.value)
    assert "'Californa'" in message
    assert "a region of USA: e.g. 'US-CA', 'CA' or 'California'" in message
    assert "did you mean 'US-CA' (California)" in message
    assert pickle.loads(pickle.dumps(info.value)).value == "Californa"
    with pytest.raises(ConfigError, match=r"did you mean 'CA-QC' \(Quebec\)"):
        regions.lookup("CAN", "Qebec")
    with pytest.raises(ConfigError, match=r"'ZZ'.*a region of USA"):
        regions.lookup("USA", "ZZ")


def test_country_without_regions_says_which_have_them(regions: RegionTable) -> None:
    with pytest.raises(ConfigError) as info:
        regions.lookup("DEU", "Bavaria")
    assert info.value.key == "region" and info.value.value == "Bavaria"
    assert "no regional data for 'DEU'" in str(info.value)
    assert "regions exist for: CAN, IND, NOR, SWE, USA" in str(info.value)


def test_unknown_provider_and_region(cloud: CloudTable) -> None:
    with pytest.raises(ConfigError) as info:
        cloud.lookup("gpc", "europe-west1")
    assert (info.value.key, info.value.value) == ("provider", "gpc")
    assert "'gcp', 'aws', 'azure'" in str(info.value)
    assert "did you mean 'gcp'" in str(info.value)
    with pytest.raises(ConfigError, match=r"'europe-wst1'.*did you mean 'europe-west1'"):
        cloud.lookup("gcp", "europe-wst1")
    with pytest.raises(ConfigError, match=r"'West Europa'.*did you mean 'westeurope'"):
        cloud.lookup("azure", "West Europa")
    with pytest.raises(ConfigError, match=r"'us-east-9'.*availability zone"):
        cloud.lookup("aws", "us-east-9")
    with pytest.raises(ConfigError, match="'oracle'"):
        cloud.efficiency("oracle")


def test_monthly_rejects_bad_months(monthly: MonthlyTable) -> None:
    with pytest.raises(ConfigError) as info:
        monthly.lookup("FRA", 2024, 13)
    assert (info.value.key, info.value.value) == ("month", 13)
    with pytest.raises(ConfigError, match="year"):
        monthly.lookup("FRA", "2024", 1)  # type: ignore[arg-type]


def test_water_misspelt_region_raises(water: WaterTable) -> None:
    with pytest.raises(ConfigError, match=r"'Californa'.*did you mean 'US-CA'"):
        water.lookup("USA", "Californa")


# --- damaged tables -----------------------------------------------------------


def test_damaged_tables_raise_data_error(tmp_path: Path) -> None:
    bad_month = tmp_path / "monthly.csv"
    bad_month.write_text(
        "iso3,month,intensity_g_per_kwh,source,basis\nFRA,2024-13,40,x,lifecycle\n"
    )
    with pytest.raises(DataError, match="line 2"):
        MonthlyTable(bad_month).months("FRA")
    twice = tmp_path / "regions.csv"
    twice.write_text(
        "country_iso3,code,name,intensity_g_per_kwh,year,source,basis\n"
        "USA,US-CA,California,200,2024,x,direct\nUSA,US-CA,California,201,2024,x,direct\n"
    )
    with pytest.raises(DataError, match="two regions"):
        RegionTable(twice).countries()
    columns = tmp_path / "cloud.csv"
    columns.write_text("provider,region\ngcp,europe-west1\n")
    with pytest.raises(DataError, match="expected columns"):
        CloudTable(columns).regions()
    water = tmp_path / "water.csv"
    water.write_text("key,water_l_per_kwh,year,source,detail\nFRA,1.9,2021,x,y\nFRA,2.0,2021,x,y\n")
    with pytest.raises(DataError, match="twice"):
        WaterTable(water).world()
    with pytest.raises(DataError, match="cannot read"):
        WaterTable(tmp_path / "missing.csv").world()

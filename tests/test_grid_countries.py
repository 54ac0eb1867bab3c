"""Tests of the shipped country grid-intensity table (real Ember figures)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, DataError
from wattprint.grid.countries import CountryIntensity, CountryTable

HEADER = "iso3,iso2,name,intensity_g_per_kwh,year,source,basis\n"


@pytest.fixture(scope="module")
def table() -> CountryTable:
    return CountryTable()


def test_alpha3_and_alpha2_give_the_same_row(table: CountryTable) -> None:
    assert table.lookup("FRA") == table.lookup("FR")
    france = table.lookup("FRA")
    assert france.iso3 == "FRA"
    assert france.iso2 == "FR"
    assert france.name == "France"
    # Ember 2024, France: 44.18 gCO2e/kWh (api_country_overview_yearly.csv).
    assert france.intensity_g_per_kwh == pytest.approx(44.18)
    assert france.year == 2024
    assert france.source == "Ember (2025)"


def test_lookup_ignores_case_and_spaces(table: CountryTable) -> None:
    assert table.lookup("  fra ") == table.lookup("FRA")
    assert table.lookup("de").iso3 == "DEU"
    assert table.lookup("Usa").iso2 == "US"


def test_unknown_code_raises_config_error_naming_it(table: CountryTable) -> None:
    with pytest.raises(ConfigError) as info:
        table.lookup("XXX")
    assert info.value.key == "country"
    assert info.value.value == "XXX"
    assert "'XXX'" in str(info.value)
    assert "'FRA' or 'FR'" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert pickle.loads(pickle.dumps(info.value)).value == "XXX"


def test_unknown_code_suggests_a_close_match(table: CountryTable) -> None:
    with pytest.raises(ConfigError, match=r"did you mean 'DEU' \(Germany\)"):
        table.lookup("Germany")
    with pytest.raises(ConfigError, match=r"did you mean 'FRA' \(France\)"):
        table.lookup("Frnace")
    with pytest.raises(ConfigError, match=r"did you mean 'GB'"):
        table.lookup("UK")


def test_world_row(table: CountryTable) -> None:
    world = table.world()
    assert world.iso3 == "WLD"
    assert world.iso2 == ""
    assert world.name == "World"
    assert world.year == 2024
    assert world.intensity_g_per_kwh == pytest.approx(472.99)
    assert table.lookup("wld") == world


def test_newest_year_per_country(table: CountryTable) -> None:
    # Ember's newest figure for Afghanistan is 2023, for Aruba 2022.
    assert table.lookup("AFG").year == 2023
    assert table.lookup("AW").year == 2022
    assert {row.year for row in table} <= {2022, 2023, 2024}


def test_iteration_and_length(table: CountryTable) -> None:
    rows = list(table)
    assert len(rows) == len(table) > 200
    assert all(isinstance(row, CountryIntensity) for row in rows)
    assert len({row.iso3 for row in rows}) == len(rows)
    iso2 = [row.iso2 for row in rows if row.iso2]
    assert len(set(iso2)) == len(iso2)
    assert all(row.intensity_g_per_kwh >= 0 for row in rows)
    # Only the World and Kosovo (no ISO code) lack an alpha-2 code.
    assert {row.iso3 for row in rows if not row.iso2} == {"WLD", "XKX"}


def test_rows_are_frozen(table: CountryTable) -> None:
    with pytest.raises(AttributeError):
        table.lookup("FRA").intensity_g_per_kwh = 0.0  # type: ignore[misc]


def test_given_table_is_read_lazily(tmp_path: Path) -> None:
    path = tmp_path / "countries.csv"
    custom = CountryTable(path)  # nothing read yet: the file does not exist
    path.write_text(
        "# a comment\n"
        + HEADER
        + "ABC,AB,Alphabet,100.5,2020,test,lifecycle\nWLD,,World,400,2020,test,lifecycle\n",
        encoding="utf-8",
    )
    assert custom.lookup("ab") == CountryIntensity(
        "ABC", "AB", "Alphabet", 100.5, 2020, "test", "lifecycle"
    )
    assert len(custom) == 2


def test_missing_table_raises_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing.csv"):
        CountryTable(tmp_path / "missing.csv").lookup("FRA")


@pytest.mark.parametrize(
    "body",
    [
        "iso3,name\nFRA,France\n",
        HEADER + "FRA,FR,France,lots,2024,x,lifecycle\n",
        HEADER + "FRA,FR,France,1,2024,x,lifecycle\nFRA,FX,France again,1,2024,x,lifecycle\n",
        HEADER + "FRA,FR,France,1,2024,x,gross\n",
        HEADER,
    ],
)
def test_damaged_table_raises_data_error(tmp_path: Path, body: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError):
        CountryTable(path).lookup("FRA")

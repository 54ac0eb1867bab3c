"""The regions page: the map coloured by intensity, every place priced, the cleanest first.

A project whose runs ran in France gets its energy priced in every country
and cloud region of wattprint's tables (the report's what-if), the map's
countries filled by their intensity class and France outlined, and tables
holding the map's numbers. The map is the shipped Natural Earth asset, small
and credited; the build script keeps shapes that cross the antimeridian
whole.
"""

from __future__ import annotations

import importlib.util
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import ADMIN, Setup, make_setup
from tests.server.test_dashboard import _started

from wattprint.advice.ranking import rank_cloud_regions, rank_countries
from wattprint.grid.tables import default_tables
from wattprint.server.regions import TOP
from wattprint.server.worldmap import MAP_FILE, colour_of, world_map
from wattprint.units_format import mass_text

ENERGY_KWH = 2.0
FRANCE_G_PER_KWH = 60.0
ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


def _ran_in_france(client: Any, setup: Setup) -> None:
    message = {
        "kind": "result", "seq": 1, "run_id": str(uuid.uuid4()), "experiment": "fr",
        "started_at": _started(30),
        "run": {"status": "completed", "energy_kwh": ENERGY_KWH, "cpu_energy_kwh": ENERGY_KWH,
                "emissions_kg": ENERGY_KWH * FRANCE_G_PER_KWH / 1000, "country_iso_code": "FRA",
                "intensity_g_per_kwh": FRANCE_G_PER_KWH},
    }  # fmt: skip
    answer = client.post("/v1/ingest", json=message,
                         headers={"Authorization": f"Bearer {setup.token}"})  # fmt: skip
    assert answer.status_code == 200, answer.text


def _rows(page: str, table: str) -> list[tuple[str, float]]:
    body = page.split(f'<table id="{table}">', 1)[1].split("</table>", 1)[0]
    return [(k, float(v)) for k, v in re.findall(r'<tr data-key="([^"]+)" data-intensity="([^"]+)"',
                                                 body)]  # fmt: skip


def test_the_regions_page_prices_the_projects_energy_everywhere(
    client: Any, setup: Setup
) -> None:
    _ran_in_france(client, setup)
    page = client.get(f"/ui/projects/{setup.project}/regions", headers=ADMIN_H)
    assert page.status_code == 200
    text = page.text
    tables = default_tables()
    france = tables.countries.lookup("FRA")
    countries = rank_countries(tables, energy_kwh=ENERGY_KWH,
                               current_g_per_kwh=france.intensity_g_per_kwh).places  # fmt: skip
    # The map: every country a path, filled by its class; France outlined.
    paths = re.findall(r'<path (?:class="ran" [^>]*?)?d="[^"]+" fill="(#[0-9a-f]{6})" '
                       r'data-iso3="([A-Z]*)"(?: data-intensity="([^"]+)")?', text)  # fmt: skip
    assert len(paths) == len(world_map().countries)
    by_code = {code: (fill, value) for fill, code, value in paths if code}
    assert by_code["FRA"] == (colour_of(france.intensity_g_per_kwh),
                              f"{france.intensity_g_per_kwh:g}")  # fmt: skip
    for p in countries:
        if p.key in by_code:
            assert by_code[p.key][0] == colour_of(p.intensity_g_per_kwh), p.key
    assert re.search(r'<path class="ran" stroke="#000000" stroke-width="1.6" d="[^"]+" '
                     r'fill="[^"]+" data-iso3="FRA"', text)  # fmt: skip
    assert len(re.findall(r'class="ran"', text.split('id="world-map"', 1)[1]
                          .split("</figure>", 1)[0])) == 1  # fmt: skip
    # The map's numbers: every country ranked, cleanest first, with what 2 kWh would emit.
    rows = _rows(text, "countries")
    assert [k for k, _ in rows] == [p.key for p in countries]
    assert [v for _, v in rows] == sorted(v for _, v in rows)
    body = text.split('<table id="countries">', 1)[1]
    for p in countries[:5]:
        assert mass_text(ENERGY_KWH * p.intensity_g_per_kwh / 1000) in body
    best = text.split('<table id="best-countries">', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-key="([^"]+)"', best) == [p.key for p in countries[:TOP]]
    clouds = rank_cloud_regions(tables, provider=None, energy_kwh=ENERGY_KWH,
                                current_g_per_kwh=france.intensity_g_per_kwh).places  # fmt: skip
    cloud_table = text.split('<table id="clouds">', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<tr data-key="([^"]+)"', cloud_table) == [p.key for p in clouds]
    best_clouds = text.split('<table id="best-clouds">', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'data-key="([^"]+)"', best_clouds) == [p.key for p in clouds[:TOP]]
    assert "FRA" in text.split('id="regions-summary"', 1)[1].split("</p>", 1)[0]
    assert 'id="months"' in text  # one country, its national figure: the monthly what-if


def test_a_project_with_no_energy_still_shows_the_map(client: Any) -> None:
    empty = make_setup(client)
    page = client.get(f"/ui/projects/{empty.project}/regions", headers=ADMIN_H).text
    assert "has no energy recorded yet" in page
    assert page.count("<path ") == len(world_map().countries)
    assert "Would emit" not in page


def test_another_organisations_regions_are_refused(client: Any, setup: Setup) -> None:
    other = make_setup(client)
    h = {"Authorization": f"Bearer {setup.read_token}"}
    answer = client.get(f"/ui/projects/{other.project}/regions", headers=h)
    assert answer.status_code == 403 and other.project not in answer.text


def test_the_map_asset_is_small_credited_and_matches_the_tables() -> None:
    assert MAP_FILE.stat().st_size < 300_000
    notice = (MAP_FILE.parent / "NOTICE.md").read_text(encoding="utf-8")
    assert "Natural Earth" in notice and "public domain" in notice and "ISC" in notice
    codes = {c.iso3 for c in world_map().countries}
    known = {c.iso3 for c in default_tables().countries}
    assert len(codes & known) >= 160, sorted(codes - known)
    assert "ATA" not in codes  # Antarctica is left out


def _build_script() -> Any:
    path = Path(__file__).resolve().parents[2] / "scripts" / "build_world_map.py"
    spec = importlib.util.spec_from_file_location("build_world_map", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_build_cuts_shapes_at_the_antimeridian() -> None:
    build = _build_script()
    fiji_like = [(178.0, -16.0), (-179.0, -16.0), (-179.0, -17.0), (178.0, -17.0), (178.0, -16.0)]
    pieces = build.split_at_antimeridian(fiji_like)
    assert len(pieces) == 2
    for piece in pieces:
        assert all(-180.0 <= lon <= 180.0 for lon, _ in piece)
    assert {round(max(abs(lon) for lon, _ in p)) for p in pieces} == {180}
    inside = [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]
    assert build.split_at_antimeridian(inside) == [inside]
    assert build.equal_earth(180.0, 0.0)[0] == pytest.approx(2.7066, abs=1e-4)
    assert build.equal_earth(0.0, 90.0)[1] == pytest.approx(1.3174, abs=1e-4)

"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Signs in with the form, opens the organisation, project, compare and run pages at
desktop and phone widths, checks the figures and the chart are there and
that the browser logged no console error (a blocked style or a script the
CSP refused would show up here), and keeps screenshots in the test's tmp dir.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import LiveServer
from tests.server.test_dashboard import PASSWORD, RUN_A, RUN_B, World, make_world

from wattprint.units_format import energy_text, mass_text

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def chromium() -> Any:
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs wattprint[server-test]")
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture()
def world(client: Any) -> World:
    return make_world(client)


def test_pages_in_chromium(chromium: Any, live: LiveServer, world: World, tmp_path: Path) -> None:
    errors: list[str] = []
    for width, height, label in ((1280, 900, "desktop"), (390, 844, "phone")):
        context = chromium.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(live.url + "/ui")
        assert page.url.endswith("/signin")
        page.fill("input[name=email]", world.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(live.url + "/ui")

        page.click(f"a[href='/ui/orgs/{world.mine.org}']")
        total = energy_text(RUN_A["energy_kwh"] + RUN_B["energy_kwh"])
        assert page.inner_text("[data-figure=energy_kwh]") == total
        assert page.locator("table#projects tbody tr").count() == 1
        page.screenshot(path=str(tmp_path / f"org-{label}.png"), full_page=True)

        page.click(f"table#projects a[href='/ui/projects/{world.mine.project}']")
        assert page.locator("table#runs tbody tr").count() == 2
        page.screenshot(path=str(tmp_path / f"project-{label}.png"), full_page=True)

        page.check(f"table#runs tr[data-run='{world.runs[0]}'] input[type=checkbox]")
        page.check(f"table#runs tr[data-run='{world.runs[1]}'] input[type=checkbox]")
        page.click("#compare-form button[type=submit]")
        page.wait_for_url("**/ui/compare?*")
        assert page.locator("table#compare thead th").count() == 3
        assert page.locator("#compare-power polyline").count() == 2
        page.screenshot(path=str(tmp_path / f"compare-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"compare, {label}: page is {overflow}px wide"
        page.go_back()
        page.click(f"table#runs tr[data-run='{world.runs[1]}'] a")
        page.wait_for_url(live.url + f"/ui/runs/{world.runs[1]}")
        assert (
            page.inner_text("[data-figure=emissions_kg]")
            == mass_text(RUN_B["emissions_kg"]) + " CO2e"
        )
        chart = page.locator("#power-chart svg")
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None and 0 < box["width"] <= width
        assert page.locator("#power-chart polygon").count() == 3  # cpu, gpu, ram stacked
        assert page.locator("table#series tbody tr").count() == 2
        page.screenshot(path=str(tmp_path / f"run-{label}.png"), full_page=True)
        # Nothing wider than the screen at phone width (the tables scroll inside their box).
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"{label}: page is {overflow}px wide"
        context.close()
    assert errors == []
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        f"{n}-{w}.png" for n in ("org", "project", "compare", "run") for w in ("desktop", "phone")
    )

"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Signs in with the form, opens the organisation, project, compare, run and regions
pages at desktop and phone (390 px) widths, checks the figures, the charts and the
map are there, downloads the run's signed report and verifies it, watches a running
run's page take a new checkpoint in place (no navigation), and checks
that the browser logged no console error (a blocked style or a script the
CSP refused would show up here), and keeps screenshots in the test's tmp dir.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.server.conftest import LiveServer
from tests.server.test_dashboard import PASSWORD, RUN_A, RUN_B, World, make_world
from tests.server.test_dashboard_live import checkpoint

from wattprint.server.regions import TOP
from wattprint.server.worldmap import colour_of
from wattprint.units_format import energy_text, mass_text

httpx = pytest.importorskip("httpx", reason="needs wattprint[server-test]")

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
        if label == "desktop":
            _download_and_verify(page, tmp_path)

        page.goto(live.url + f"/ui/projects/{world.mine.project}")
        page.click("#regions-link")
        page.wait_for_url(f"**/ui/projects/{world.mine.project}/regions")
        world_map = page.locator("#world-map svg")
        assert world_map.is_visible()
        box = world_map.bounding_box()
        assert box is not None and 0 < box["width"] <= width and box["height"] > 100
        assert page.locator("#world-map path").count() > 170
        france = page.locator("#world-map path[data-iso3=FRA]")
        fill = france.get_attribute("fill")
        assert fill == colour_of(float(france.get_attribute("data-intensity") or "nan"))
        assert page.locator("table#best-countries tbody tr").count() == TOP
        page.screenshot(path=str(tmp_path / f"regions-{label}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, f"regions, {label}: page is {overflow}px wide"
        context.close()
    assert errors == []
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(
        f"{n}-{w}.png" for n in ("org", "project", "compare", "run", "regions")
        for w in ("desktop", "phone")
    )


def _download_and_verify(page: Any, tmp_path: Path) -> None:
    """Download the run's signed report and the server's key by the page's links; verify."""
    from click.testing import CliRunner

    from wattprint.cli.report_commands import verify

    with page.expect_download() as report:
        page.click("#report-download")
    with page.expect_download() as key:
        page.click("#signing-key")
    report.value.save_as(tmp_path / "report.json")
    key.value.save_as(tmp_path / "server.pub")
    checked = CliRunner().invoke(verify, [str(tmp_path / "report.json"), "--key",
                                          str(tmp_path / "server.pub")])  # fmt: skip
    assert checked.exit_code == 0, checked.output


def test_a_running_runs_page_updates_in_place(
    chromium: Any, live: LiveServer, world: World, tmp_path: Path
) -> None:
    run_id = str(uuid.uuid4())
    h = {"Authorization": f"Bearer {world.mine.token}"}
    assert httpx.post(live.url + "/v1/ingest", json=checkpoint(run_id, 1, 0.01), headers=h,
                      timeout=10).is_success  # fmt: skip
    errors: list[str] = []
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(live.url + "/signin")
    page.fill("input[name=email]", world.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/ui")
    page.goto(live.url + f"/ui/runs/{run_id}")
    assert page.inner_text("[data-figure=energy_kwh]") == energy_text(0.01)
    assert page.locator("table#series tbody tr").count() == 1
    page.evaluate("window.samePage = 'not reloaded'")
    expect = pytest.importorskip("playwright.sync_api").expect  # polls without eval (CSP)
    expect(page.locator("#live")).to_contain_text("in place")

    assert httpx.post(live.url + "/v1/ingest", json=checkpoint(run_id, 2, 0.01), headers=h,
                      timeout=10).is_success  # fmt: skip
    expect(page.locator("[data-figure=energy_kwh]")).to_have_attribute(
        "data-value", "0.02", timeout=30_000
    )
    assert page.inner_text("[data-figure=energy_kwh]") == energy_text(0.02)
    assert page.locator("table#series tbody tr").count() == 2
    assert page.evaluate("window.samePage") == "not reloaded"  # no navigation happened
    assert page.locator("#power-chart svg polygon").count() == 1  # cpu only
    page.screenshot(path=str(tmp_path / "live-phone.png"), full_page=True)

    done = {**checkpoint(run_id, 3, 0.01), "kind": "result"}
    done["run"]["status"] = "completed"
    assert httpx.post(live.url + "/v1/ingest", json=done, headers=h, timeout=10).is_success
    expect(page.locator("#run-status")).to_have_text("completed", timeout=30_000)
    assert page.inner_text("[data-figure=energy_kwh]") == energy_text(0.03)
    assert "has ended" in page.inner_text("#live")
    assert page.evaluate("window.samePage") == "not reloaded"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"live run page is {overflow}px wide"
    context.close()
    assert errors == []

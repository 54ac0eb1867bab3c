"""The dashboard through uvicorn on a loopback port, on SQLite and PostgreSQL.

A person signs in with the form, two runs arrive through the native ingest,
and the organisation, project and run pages show the ingested figures; another
organisation's pages answer 403, and the exports hold the runs.
"""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from tests.server.conftest import LiveServer, Setup, make_setup

from wattprint.impact.equivalents import equivalents, say
from wattprint.server.run_figures import energy_range, mass_range
from wattprint.units_format import energy_text, mass_text, water_text

httpx = pytest.importorskip("httpx", reason="needs wattprint[server-test]")

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    mine: Setup
    other: Setup
    email: str
    runs: list[str]
    other_run: str


def _started(minutes_ago: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat()


def _ingest(client: Any, token: str, *, experiment: str, minutes_ago: float,
            figures: dict[str, float], extra: dict[str, Any] | None = None) -> str:  # fmt: skip
    run_id = str(uuid.uuid4())
    base = {"run_id": run_id, "experiment": experiment, "started_at": _started(minutes_ago)}
    h = {"Authorization": f"Bearer {token}"}
    checkpoints = [
        {"timestamp": _started(minutes_ago - 0.5 * (n + 1)), "duration_s": 30.0,
         "energy_kwh": figures["energy_kwh"] / 2, "cpu_energy_kwh": figures["cpu_energy_kwh"] / 2,
         "gpu_energy_kwh": figures["gpu_energy_kwh"] / 2,
         "ram_energy_kwh": figures["ram_energy_kwh"] / 2,
         "emissions_kg": figures["emissions_kg"] / 2, "intensity_g_per_kwh": 400.0}
        for n in range(2)
    ]  # fmt: skip
    messages = [{**base, "kind": "start", "seq": 0, "run": {"hostname": "node-1"}}]
    messages += [{**base, "kind": "checkpoint", "seq": n + 1, "sample": cp}
                 for n, cp in enumerate(checkpoints)]  # fmt: skip
    messages.append({**base, "kind": "result", "seq": 3,
                     "run": {"status": "completed", "duration_s": 60.0, "hostname": "node-1",
                             **figures, **(extra or {})}})  # fmt: skip
    for message in messages:
        answer = client.post("/v1/ingest", json=message, headers=h)
        assert answer.status_code == 200, answer.text
    return run_id


RUN_A = {
    "energy_kwh": 0.02,
    "cpu_energy_kwh": 0.001,
    "gpu_energy_kwh": 0.018,
    "ram_energy_kwh": 0.001,
    "emissions_kg": 0.008,
    "water_l": 0.5,
    "embodied_kg": 0.002,
}
RUN_B = {
    "energy_kwh": 0.5,
    "cpu_energy_kwh": 0.3,
    "gpu_energy_kwh": 0.15,
    "ram_energy_kwh": 0.05,
    "emissions_kg": 0.2,
    "water_l": 1.5,
    "embodied_kg": 0.03,
}
METHODOLOGY = {
    "components": [
        {"component": "cpu", "method": "rapl", "measured": True, "detail": "package-0",
         "attribution": "whole machine"},
        {"component": "gpu", "method": "nvml-energy", "measured": True, "detail": "GPU 0",
         "attribution": "whole GPU"},
        {"component": "ram", "method": "gb-x-w-per-gb", "measured": False, "detail": "16 GB",
         "attribution": "process share"},
    ],
    "intensity": {"intensity_g_per_kwh": 400.0, "source": "Ember yearly electricity data",
                  "year": 2024, "kind": "average", "detail": "France"},
    "notes": ["a note for the reader"],
}  # fmt: skip
TASKS = [{"name": "train-epoch-1", "duration_s": 30.0, "energy_kwh": 0.25, "emissions_kg": 0.1}]
RANGE_B = {"energy_kwh_low": 0.45, "energy_kwh_high": 0.56, "emissions_kg_low": 0.13,
           "emissions_kg_high": 0.27}  # fmt: skip
"""RUN_B's bounds as its client sends them (RUN_A, like an older record, sends none)."""


def make_world(client: Any) -> World:
    """Return two organisations, a viewer of the first, its two runs and the other's run."""
    from wattprint.server import models as m
    from wattprint.server.security import hash_password
    from wattprint.server.store import now_utc

    mine, other = make_setup(client), make_setup(client)
    email = f"viewer-{uuid.uuid4().hex[:8]}@example.org"
    with client.app.state.sessions() as db:
        user = m.User(id=m.new_id(), email=email, name="viewer",
                      password_hash=hash_password(PASSWORD), created_at=now_utc())  # fmt: skip
        db.add(user)
        db.flush()  # the user row first: the membership's foreign key needs it
        db.add(m.Membership(user_id=user.id, organisation_id=mine.org, role="viewer"))
        db.commit()
    runs = [
        _ingest(client, mine.token, experiment="small", minutes_ago=120, figures=RUN_A),
        _ingest(client, mine.token, experiment="big", minutes_ago=60, figures=RUN_B,
                extra={"methodology": METHODOLOGY, "tasks": TASKS, **RANGE_B,
                       "intensity_source": "Ember yearly electricity data"}),
    ]  # fmt: skip
    other_run = _ingest(client, other.token, experiment="x", minutes_ago=30, figures=RUN_A)
    return World(mine, other, email, runs, other_run)


@pytest.fixture()
def world(client: Any) -> World:
    return make_world(client)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _sign_in(browser: Any, email: str, password: str = PASSWORD) -> Any:
    form = browser.get("/signin")
    assert form.status_code == 200
    return browser.post("/signin", data={"email": email, "password": password,
                                         "csrf": _csrf(form.text)})  # fmt: skip


def _figures(html: str) -> dict[str, float]:
    return {k: float(v) for k, v in re.findall(r'data-figure="(\w+)" data-value="([^"]+)"', html)}


def _sum(name: str) -> float:
    return RUN_A[name] + RUN_B[name]


def _range(html: str, name: str) -> tuple[float, float]:
    found = re.search(rf'data-range="{name}" data-low="([^"]+)" data-high="([^"]+)"', html)
    assert found, name
    return float(found.group(1)), float(found.group(2))


def test_pages_show_the_ingested_runs(live: LiveServer, world: World) -> None:
    with httpx.Client(base_url=live.url) as browser:
        assert browser.get("/ui").headers["location"] == "/signin"
        signed = _sign_in(browser, world.email)
        assert signed.status_code == 303 and signed.headers["location"] == "/ui"
        assert "httponly" in signed.headers["set-cookie"].lower()
        home = browser.get("/ui")
        assert f"/ui/orgs/{world.mine.org}" in home.text
        assert f"/ui/orgs/{world.other.org}" not in home.text

        org = browser.get(f"/ui/orgs/{world.mine.org}")
        assert org.status_code == 200
        assert "Content-Security-Policy" in org.headers
        shown = _figures(org.text)
        for name in ("energy_kwh", "emissions_kg", "water_l", "embodied_kg"):
            assert shown[name] == pytest.approx(_sum(name)), name
        assert shown["runs"] == 2
        low, high = _range(org.text, "emissions_kg")  # B's bounds, A (no range) at its value
        assert low == pytest.approx(RUN_A["emissions_kg"] + RANGE_B["emissions_kg_low"])
        assert high == pytest.approx(RUN_A["emissions_kg"] + RANGE_B["emissions_kg_high"])
        assert _range(org.text, "energy_kwh") == (
            pytest.approx(RUN_A["energy_kwh"] + RANGE_B["energy_kwh_low"]),
            pytest.approx(RUN_A["energy_kwh"] + RANGE_B["energy_kwh_high"]),
        )
        total = _sum("emissions_kg")
        assert mass_range(total, low, high) in org.text
        assert "1 run with no range, counted at its value" in org.text
        assert energy_text(_sum("energy_kwh")) in org.text
        assert mass_text(_sum("emissions_kg")) in org.text
        assert water_text(_sum("water_l")) in org.text
        assert f"/ui/projects/{world.mine.project}" in org.text
        told = equivalents(emissions_kg=_sum("emissions_kg"), energy_kwh=_sum("energy_kwh"))
        for equivalent in told:
            assert say(equivalent) in html.unescape(org.text)

        project = browser.get(f"/ui/projects/{world.mine.project}")
        assert project.status_code == 200
        assert _figures(project.text)["energy_kwh"] == pytest.approx(_sum("energy_kwh"))
        rows = re.findall(r'data-run="([0-9a-f-]+)"', project.text)
        assert rows == [world.runs[1], world.runs[0]]  # newest first
        last = re.search(r'id="last-run"><a href="/ui/runs/([0-9a-f-]+)"', project.text)
        assert last and last.group(1) == world.runs[1]
        for fig in (RUN_A, RUN_B):
            assert energy_text(fig["energy_kwh"]) in project.text
        places = project.text.split('id="places"', 1)[1].split("</table>", 1)[0]
        assert "unknown" in places and '<td class="num">2</td>' in places
        assert "Energy of the newest 2 runs shown" in project.text
        assert _range(project.text, "emissions_kg")[1] == pytest.approx(
            RUN_A["emissions_kg"] + RANGE_B["emissions_kg_high"])  # fmt: skip
        runs_table = project.text.split('id="runs"', 1)[1].split("</table>", 1)[0]
        b_range = mass_range(RUN_B["emissions_kg"], RANGE_B["emissions_kg_low"],
                             RANGE_B["emissions_kg_high"])  # fmt: skip
        assert b_range in runs_table and "(no range)" in runs_table
        assert f'href="/ui/projects/{world.mine.project}/regions"' in project.text
        filtered = browser.get(f"/ui/projects/{world.mine.project}", params={"status": "crashed"})
        assert re.findall(r'data-run="([0-9a-f-]+)"', filtered.text) == []

        run = browser.get(f"/ui/runs/{world.runs[1]}")
        assert run.status_code == 200
        shown = _figures(run.text)
        for name in ("energy_kwh", "emissions_kg", "water_l", "embodied_kg"):
            assert shown[name] == pytest.approx(RUN_B[name]), name
        assert "<svg" in run.text and 'data-series="cpu"' in run.text
        assert f'id="emissions-range">{b_range}<' in run.text
        energy_bounds = energy_range(RUN_B["energy_kwh"], RANGE_B["energy_kwh_low"],
                                     RANGE_B["energy_kwh_high"])  # fmt: skip
        assert f'id="energy-range">{energy_bounds}<' in run.text
        assert "no range" in browser.get(f"/ui/runs/{world.runs[0]}").text
        assert run.text.count("<svg") == 4  # power stacked; energy, emissions, intensity so far
        series = run.text.split('id="series"', 1)[1].split("</table>", 1)[0]
        powers = re.findall(r"<tr><td class=\"num\">([\d.]+)</td><td class=\"num\">([\d.]+)</td>"
                            r"<td class=\"num\">([\d.]+)</td><td class=\"num\">([\d.]+)</td>",
                            series)  # fmt: skip
        assert len(powers) == 2
        for _, cpu_w, gpu_w, ram_w in powers:  # half of each energy over 30 s each
            assert float(cpu_w) == pytest.approx(RUN_B["cpu_energy_kwh"] / 2 * 3.6e6 / 30, rel=1e-3)
            assert float(gpu_w) == pytest.approx(RUN_B["gpu_energy_kwh"] / 2 * 3.6e6 / 30, rel=1e-3)
            assert float(ram_w) == pytest.approx(RUN_B["ram_energy_kwh"] / 2 * 3.6e6 / 30, rel=1e-3)
        assert energy_text(RUN_B["energy_kwh"]) in series  # the cumulative energy at the end
        methodology = run.text.split('id="methodology"', 1)[1].split("</section>", 1)[0]
        for text in (
            "rapl",
            "nvml-energy",
            "gb-x-w-per-gb",
            "measured",
            "estimated",
            "Ember yearly electricity data",
            "2024",
            "a note for the reader",
        ):
            assert text in methodology, text
        assert "train-epoch-1" in run.text

        assert browser.get("/static/style.css").status_code == 200


def test_other_organisations_and_unknown_ids_are_forbidden(live: LiveServer, world: World) -> None:
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        for path in (
            f"/ui/orgs/{world.other.org}",
            f"/ui/projects/{world.other.project}",
            f"/ui/runs/{world.other_run}",
            f"/ui/projects/{world.other.project}/runs.csv",
            f"/ui/runs/{uuid.uuid4()}",
            f"/ui/projects/{uuid.uuid4()}",
            f"/ui/orgs/{uuid.uuid4()}",
        ):
            answer = browser.get(path)
            assert answer.status_code == 403, path
            assert str(world.other_run) not in answer.text
        foreign = browser.get(f"/ui/projects/{world.mine.project}",
                              params={"experiment": world.other.experiment})  # fmt: skip
        assert foreign.status_code == 403
    with httpx.Client(base_url=live.url) as anonymous:
        answer = anonymous.get(f"/ui/runs/{world.runs[0]}")
        assert answer.status_code == 303 and answer.headers["location"] == "/signin"


def test_exports_give_the_runs(live: LiveServer, world: World) -> None:
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        page = browser.get(f"/ui/projects/{world.mine.project}").text
        csv_link = re.search(r'id="export-csv" href="([^"]+)"', page)
        json_link = re.search(r'id="export-json" href="([^"]+)"', page)
        assert csv_link and json_link
        as_csv = browser.get(csv_link.group(1))
        assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
        assert "attachment" in as_csv.headers["content-disposition"]
        rows = {r["id"]: r for r in csv.DictReader(io.StringIO(as_csv.text))}
        as_json = browser.get(json_link.group(1))
        assert as_json.headers["content-type"] == "application/json"
        items = {r["id"]: r for r in as_json.json()}
        assert set(rows) == set(items) == set(world.runs)
        for run_id, fig in zip(world.runs, (RUN_A, RUN_B), strict=True):
            for name in ("energy_kwh", "emissions_kg", "water_l", "embodied_kg"):
                assert float(rows[run_id][name]) == pytest.approx(fig[name])
                assert items[run_id][name] == pytest.approx(fig[name])
            assert items[run_id]["status"] == "completed"
        sent_low = RANGE_B["emissions_kg_low"]
        assert items[world.runs[1]]["emissions_kg_low"] == pytest.approx(sent_low)
        assert items[world.runs[1]]["range"] == "sent" and items[world.runs[0]]["range"] == "none"
        assert rows[world.runs[0]]["emissions_kg_low"] == ""
        assert {r["experiment"] for r in items.values()} == {"small", "big"}
        small = browser.get(f"/ui/projects/{world.mine.project}/runs.json",
                            params={"experiment": _experiment_id(page, "small")})  # fmt: skip
        assert [r["id"] for r in small.json()] == [world.runs[0]]


def _experiment_id(page: str, name: str) -> str:
    found = re.search(r'<option value="([0-9a-f-]+)">' + name + "</option>", page)
    assert found, page
    return found.group(1)


def test_sign_in_refuses_wrong_passwords_forged_forms_and_forged_sign_outs(
    live: LiveServer, world: World
) -> None:
    with httpx.Client(base_url=live.url) as browser:
        wrong = _sign_in(browser, world.email, "not the password")
        assert wrong.status_code == 401 and "Wrong email or password" in wrong.text
        assert browser.get("/ui").status_code == 303
        forged = browser.post("/signin", data={"email": world.email, "password": PASSWORD,
                                               "csrf": "forged"})  # fmt: skip
        assert forged.status_code == 403
        assert browser.get("/ui").status_code == 303
        assert _sign_in(browser, world.email).status_code == 303
        assert browser.post("/signout", data={"csrf": "forged"}).status_code == 403
        assert browser.get("/ui").status_code == 200
        csrf = _csrf(browser.get("/ui").text)
        assert browser.post("/signout", data={"csrf": csrf}).status_code == 303
        assert browser.get("/ui").status_code == 303


def test_compare_puts_runs_side_by_side(live: LiveServer, world: World) -> None:
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        both = browser.get("/ui/compare", params=[("run", world.runs[0]), ("run", world.runs[1])])
        assert both.status_code == 200
        for name in ("energy_kwh", "emissions_kg", "water_l", "embodied_kg"):
            row = both.text.split(f'data-figure="{name}"', 1)[1].split("</tr>", 1)[0]
            values = [float(v) for v in re.findall(r'data-value="([^"]+)"', row)]
            assert values == [pytest.approx(RUN_A[name]), pytest.approx(RUN_B[name])], name
        energy = both.text.split('data-figure="energy_kwh"', 1)[1].split("</tr>", 1)[0]
        delta = energy_text(RUN_B["energy_kwh"] - RUN_A["energy_kwh"])
        assert f"+{delta} (+{RUN_B['energy_kwh'] / RUN_A['energy_kwh'] - 1:.0%})" in energy
        assert both.text.count("<polyline") == 2  # one power curve per run
        mixed = browser.get(
            "/ui/compare", params=[("run", world.runs[0]), ("run", world.other_run)]
        )
        assert mixed.status_code == 403 and world.other_run not in mixed.text
        assert "Pick runs to compare" in browser.get("/ui/compare").text


def test_a_running_runs_page_reloads_until_it_ends(live: LiveServer, world: World) -> None:
    run_id = str(uuid.uuid4())
    h = {"Authorization": f"Bearer {world.mine.token}"}
    base = {"run_id": run_id, "experiment": "live", "started_at": _started(1)}
    start = {**base, "kind": "start", "seq": 0, "run": {"hostname": "node-2"}}
    assert httpx.post(live.url + "/v1/ingest", json=start, headers=h).status_code == 200
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        running = browser.get(f"/ui/runs/{run_id}").text
        assert '<meta http-equiv="refresh"' in running and 'id="live"' in running
        done = {**base, "kind": "result", "seq": 1, "run": {"status": "completed", **RUN_A}}
        assert httpx.post(live.url + "/v1/ingest", json=done, headers=h).status_code == 200
        finished = browser.get(f"/ui/runs/{run_id}").text
        assert 'http-equiv="refresh"' not in finished
        assert _figures(finished)["energy_kwh"] == pytest.approx(RUN_A["energy_kwh"])

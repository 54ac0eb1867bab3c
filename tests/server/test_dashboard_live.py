"""The live view's endpoint: a running run's news, as its page's script asks for it.

The page names the endpoint and the version it shows; asked with that
version the endpoint answers "unchanged", and after a checkpoint arrives it
answers with the new figures, table rows and charts, exactly as a fresh page
prints them. Without JavaScript the page still reloads itself (noscript).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from tests.server.conftest import LiveServer
from tests.server.test_dashboard import World, _sign_in, _started, make_world

from wattprint.units_format import energy_text

httpx = pytest.importorskip("httpx", reason="needs wattprint[server-test]")


@pytest.fixture()
def world(client: Any) -> World:
    return make_world(client)


def checkpoint(run_id: str, seq: int, kwh: float, *, minutes_ago: float = 5) -> dict[str, Any]:
    """Return checkpoint ``seq`` of a run: ``kwh`` more energy over 30 s, the total so far."""
    return {
        "kind": "checkpoint", "seq": seq, "run_id": run_id, "experiment": "live",
        "started_at": _started(minutes_ago),
        "run": {"status": "running", "energy_kwh": kwh * seq, "cpu_energy_kwh": kwh * seq,
                "emissions_kg": kwh * seq * 0.1, "duration_s": 30.0 * seq},
        "sample": {"timestamp": _started(minutes_ago - 0.5 * seq), "duration_s": 30.0,
                   "energy_kwh": kwh, "cpu_energy_kwh": kwh, "emissions_kg": kwh * 0.1,
                   "intensity_g_per_kwh": 100.0},
    }  # fmt: skip


def test_the_live_endpoint_tells_a_running_runs_news(live: LiveServer, world: World) -> None:
    run_id = str(uuid.uuid4())
    h = {"Authorization": f"Bearer {world.mine.token}"}
    first = checkpoint(run_id, 1, 0.01)
    assert httpx.post(live.url + "/v1/ingest", json=first, headers=h).is_success
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        page = browser.get(f"/ui/runs/{run_id}").text
        assert '<noscript><meta http-equiv="refresh"' in page
        assert '<script src="/static/live.js" defer></script>' in page
        url = re.search(r'id="live" data-url="([^"]+)" data-version="([^"]+)"', page)
        assert url, page
        endpoint, version = url.groups()
        same = browser.get(endpoint, params={"v": version}).json()
        assert same == {"version": version, "status": "running", "live": True, "changed": False}

        assert httpx.post(live.url + "/v1/ingest", json=checkpoint(run_id, 2, 0.01),
                          headers=h).is_success  # fmt: skip
        news = browser.get(endpoint, params={"v": version})
        assert news.headers["cache-control"] == "no-store"
        body = news.json()
        assert body["changed"] is True and body["version"] != version and body["live"] is True
        assert body["figures"]["energy_kwh"] == {"value": 0.02, "text": energy_text(0.02)}
        assert len(body["rows"]) == 2 and body["rows"][-1][4] == energy_text(0.02)
        assert set(body["charts"]) == {"power-chart", "line-chart-0", "line-chart-1",
                                       "line-chart-2"}  # fmt: skip
        assert body["charts"]["power-chart"].startswith("<svg")
        assert body["texts"]["samples-caption"] == "2 samples."
        fresh = browser.get(f"/ui/runs/{run_id}").text  # a fresh page prints the same
        assert f'data-version="{body["version"]}"' in fresh
        for text in body["rows"][-1]:
            assert f'<td class="num">{text}</td>' in fresh

        done = {**checkpoint(run_id, 3, 0.01), "kind": "result"}
        done["run"]["status"] = "completed"
        assert httpx.post(live.url + "/v1/ingest", json=done, headers=h).is_success
        ended = browser.get(endpoint, params={"v": body["version"]}).json()
        assert ended["live"] is False and ended["status"] == "completed"
        assert "live.js" not in browser.get(f"/ui/runs/{run_id}").text

        foreign = browser.get(f"/ui/runs/{world.other_run}/live.json")
        assert foreign.status_code == 403 and "detail" in foreign.json()
    anonymous = httpx.get(live.url + endpoint)
    assert anonymous.status_code in (401, 403) and "detail" in anonymous.json()


def test_the_live_script_is_served_with_the_pages(client: Any) -> None:
    script = client.get("/static/live.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "fetch(" in script.text and "innerHTML" not in script.text

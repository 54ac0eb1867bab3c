"""The run page's signed report: downloaded by the page's link, accepted by ``wattprint verify``.

A person signed in follows the run page's download link; the file is a
``wattprint.report/1`` report signed by the server, and the real CLI checks
it against the public key the page links to. A report changed after
download fails; another organisation's run is refused; a key file set by
the operator signs instead of the server's own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.server.conftest import ADMIN, LiveServer
from tests.server.test_dashboard import RANGE_B, RUN_B, World, _sign_in, make_world

from wattprint.cli.report_commands import keygen, verify

httpx = pytest.importorskip("httpx", reason="needs wattprint[server-test]")
pytest.importorskip("cryptography", reason="needs wattprint[server]")


@pytest.fixture()
def world(client: Any) -> World:
    return make_world(client)


def _link(page: str, element: str) -> str:
    found = re.search(rf'id="{element}" href="([^"]+)"', page)
    assert found, element
    return found.group(1)


def test_the_run_pages_report_is_signed_and_verifies(
    live: LiveServer, world: World, tmp_path: Path
) -> None:
    with httpx.Client(base_url=live.url) as browser:
        _sign_in(browser, world.email)
        page = browser.get(f"/ui/runs/{world.runs[1]}").text
        answer = browser.get(_link(page, "report-download"))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/json"
        assert f'filename="wattprint-run-{world.runs[1][:8]}.json"' in (
            answer.headers["content-disposition"]
        )
        key = browser.get(_link(page, "signing-key"))
        assert key.status_code == 200
        foreign = browser.get(f"/ui/runs/{world.other_run}/report.json")
        assert foreign.status_code == 403 and world.other_run not in foreign.text
    report, public = tmp_path / "report.json", tmp_path / "server.pub"
    report.write_bytes(answer.content)
    public.write_bytes(key.content)
    checked = CliRunner().invoke(verify, [str(report), "--key", str(public)])
    assert checked.exit_code == 0, checked.output
    assert "verified: all" in checked.output
    data = json.loads(answer.content)
    (line,) = data["runs"]
    assert line["run_id"] == world.runs[1]
    assert line["recorded"]["energy_kwh"] == pytest.approx(RUN_B["energy_kwh"])
    assert line["recorded"]["emissions_kg"] == pytest.approx(RUN_B["emissions_kg"])
    sent = RANGE_B["emissions_kg_low"] / RUN_B["emissions_kg"]
    assert line["emissions_kg_low"] / line["emissions_kg"] == pytest.approx(sent)
    # A figure changed after download fails, signature and recomputation alike.
    data["runs"][0]["inputs"]["cpu_energy_kwh"] *= 2
    report.write_text(json.dumps(data), encoding="utf-8")
    tampered = CliRunner().invoke(verify, [str(report), "--key", str(public)])
    assert tampered.exit_code == 1 and "FAIL  signature" in tampered.output


def test_an_operators_key_file_signs_the_reports(client: Any, world: World, tmp_path: Path) -> None:
    made = CliRunner().invoke(keygen, ["--key", str(tmp_path / "k.pem")])
    assert made.exit_code == 0, made.output
    state = client.app.state
    before = getattr(state, "signing_key", None), state.settings
    state.signing_key = None
    state.settings = type(state.settings)(**{**_fields(state.settings),
                                             "signing_key": str(tmp_path / "k.pem")})  # fmt: skip
    try:
        h = {"Authorization": f"Bearer {ADMIN}"}
        answer = client.get(f"/ui/runs/{world.runs[0]}/report.json", headers=h)
        assert answer.status_code == 200
    finally:
        state.signing_key, state.settings = before
    (tmp_path / "r.json").write_bytes(answer.content)
    checked = CliRunner().invoke(verify, [str(tmp_path / "r.json"), "--key",
                                          str(tmp_path / "k.pem.pub")])  # fmt: skip
    assert checked.exit_code == 0, checked.output


def _fields(settings: Any) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in settings.__dataclass_fields__}

"""The grid and configuration commands: intensity, regions, config show."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

WATTPRINT = [sys.executable, "-m", "wattprint"]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("WATTPRINT_", "CODECARBON_"))}
    clean["HOME"] = str(tmp_path / "home")
    clean["XDG_CONFIG_HOME"] = str(tmp_path / "home" / ".config")
    clean["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    clean["WATTPRINT_DMI_DIR"] = str(tmp_path / "no-dmi")
    return clean


def wattprint(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WATTPRINT, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_intensity_json_fields(env: dict[str, str], tmp_path: Path) -> None:
    out = wattprint("intensity", "--country", "US", "--region", "California", "--json",
                    env=env, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["intensity_g_per_kwh"] == 199.67 and data["year"] == 2024
    assert data["country_iso_code"] == "USA" and data["region"] == "US-CA"
    assert data["water_l_per_kwh"] == 0.826 and data["kind"] == "average"
    assert data["source"].startswith("Ember") and "argument" in data["how"]


def test_intensity_cloud_text(env: dict[str, str], tmp_path: Path) -> None:
    out = wattprint("intensity", "--cloud", "aws:us-east-1", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "US-VA" in out.stdout and "PUE 1.15" in out.stdout and "WUE 0.18" in out.stdout


def test_intensity_reads_the_environment_and_config_file(
    env: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / ".wattprint.toml").write_text('country = "NO"\n')
    out = wattprint("intensity", "--json", env=env, cwd=tmp_path)
    assert json.loads(out.stdout)["country_iso_code"] == "NOR"
    out = wattprint("intensity", "--json", env={**env, "WATTPRINT_COUNTRY": "PL"}, cwd=tmp_path)
    data = json.loads(out.stdout)
    assert data["country_iso_code"] == "POL" and "WATTPRINT_COUNTRY" in data["how"]


@pytest.mark.parametrize(
    ("args", "shown"),
    [(["--country", "XXX"], "'XXX'"), (["--region", "Atlantis", "--country", "US"], "Atlantis"),
     (["--cloud", "gcp:mars-1"], "mars-1"), (["--cloud", "nocolon"], "provider:region")],
)  # fmt: skip
def test_intensity_bad_place_is_a_usage_error(
    env: dict[str, str], tmp_path: Path, args: list[str], shown: str
) -> None:
    out = wattprint("intensity", *args, env=env, cwd=tmp_path)
    assert out.returncode == 2 and shown in out.stderr and "Error" in out.stderr


class _RecordedUkApi(BaseHTTPRequestHandler):
    """Answer ``/intensity`` with the recorded NESO answer, anything else with HTTP 500."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/intensity":
            status, body = (
                200,
                (Path(__file__).parent / "fixtures/live/uk_intensity.json").read_bytes(),
            )
        else:
            status, body = 500, b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def uk_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordedUkApi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_intensity_live_overlays_the_provider_figure(
    env: dict[str, str], tmp_path: Path, uk_api: str
) -> None:
    live_env = {
        **env,
        "WATTPRINT_UK_CARBON_URL": uk_api,
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }
    out = wattprint(
        "intensity", "--country", "GB", "--live", "uk", "--json", env=live_env, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["intensity_g_per_kwh"] == 100 and data["detail"].startswith("uk zone GB, ")
    assert data["country_iso_code"] == "GBR" and data["notes"] == []
    failing = {**live_env, "WATTPRINT_UK_CARBON_URL": f"{uk_api}/down"}
    out = wattprint(
        "intensity", "--country", "GB", "--live", "uk", "--json", env=failing, cwd=tmp_path
    )
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["intensity_g_per_kwh"] != 100
    assert data["source"].startswith("Ember")
    assert any("live intensity failed" in n and "table value stands" in n for n in data["notes"])


def test_regions_ranks_with_savings(env: dict[str, str], tmp_path: Path) -> None:
    out = wattprint("regions", "--cloud", "gcp", "--energy-kwh", "10", "--country", "PL",
                    "--json", env=env, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    places = data["places"]
    values = [p["intensity_g_per_kwh"] for p in places]
    assert values == sorted(values) and len(places) >= 40
    first = places[0]
    current = data["current"]["intensity_g_per_kwh"]
    assert first["emissions_kg"] == pytest.approx(10 * first["intensity_g_per_kwh"] / 1000)
    assert first["saving_kg"] == pytest.approx(10 * (current - first["intensity_g_per_kwh"]) / 1000)
    text = wattprint("regions", "--limit", "3", env=env, cwd=tmp_path)
    assert text.returncode == 0 and len(text.stdout.splitlines()) == 5
    bad = wattprint("regions", "--cloud", "ibm", env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "'ibm'" in bad.stderr


def test_config_show_lists_sources(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.wattprint]\nproject = "paper"\n')
    out = wattprint("config", "show", "--json",
                    env={**env, "CODECARBON_MEASURE_POWER_SECS": "9"}, cwd=tmp_path)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["project"]["value"] == "'paper'" and "[tool.wattprint]" in data["project"]["source"]
    assert data["interval_s"]["source"] == "environment variable CODECARBON_MEASURE_POWER_SECS"
    bad = wattprint("config", "show", env={**env, "WATTPRINT_PUE": "0.5"}, cwd=tmp_path)
    assert bad.returncode == 1 and "WATTPRINT_PUE" in bad.stderr and ">= 1.0" in bad.stderr

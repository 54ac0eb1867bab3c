"""The real codecarbon==3.3.2 client reporting into the server on loopback, unchanged.

CodeCarbon runs in its own virtual environment (its dependencies stay out of
the test environment), made once by the ``codecarbon_python`` fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests.server.conftest import ADMIN, LiveServer, make_setup

_TRACK = textwrap.dedent("""
    import sys, time, logging
    from codecarbon import EmissionsTracker
    url, experiment, key = sys.argv[1:4]
    tracker = EmissionsTracker(save_to_api=True, api_endpoint=url, experiment_id=experiment,
                               api_key=key, measure_power_secs=1, api_call_interval=2,
                               save_to_file=False, project_name="cc", log_level="error",
                               allow_multiple_runs=True)
    tracker.start()
    time.sleep(5)  # a busy loop here would starve the client's threads of the GIL (see below)
    tracker.stop()
    print("stopped")
""")

_SCHEMA = textwrap.dedent("""
    import dataclasses, json
    from codecarbon.core import schemas
    print(json.dumps({name: [f.name for f in dataclasses.fields(getattr(schemas, name))]
                      for name in ("RunCreate", "EmissionCreate", "ExperimentCreate",
                                   "OrganizationCreate", "ProjectCreate")}))
""")


# The client measures from two timer threads, and a timer fires again one interval
# after the last one fired, whether or not it has ended: when a measurement takes
# longer than the interval (a busy loop in the same interpreter holding the GIL
# did that on a slow machine) two of them ask for a run at once and the client
# registers two runs. That is the client's own race, whatever the server; the
# run here sleeps, as a tracked job waiting on I/O or a GPU would.


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CODECARBON_", "WATTPRINT_"))}
    env.update(HOME=str(tmp_path), PYTHONPATH="", NO_PROXY="*")
    return env


def test_codecarbon_client_reports_into_the_server(
    live: LiveServer, codecarbon_python: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(live.app)
    s = make_setup(client, "codecarbon")
    done = subprocess.run(
        [str(codecarbon_python), "-c", _TRACK, live.url, s.experiment, s.token],
        cwd=tmp_path,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0 and "stopped" in done.stdout, done.stderr[-3000:]
    h = {"Authorization": f"Bearer {ADMIN}"}
    runs = client.get(f"/api/experiments/{s.experiment}/runs", headers=h).json()
    assert len(runs) == 1, json.dumps(runs, indent=1) + done.stderr[-3000:]
    assert runs[0]["codecarbon_version"] == "3.3.2" and runs[0]["cpu_count"]
    page = client.get(f"/api/runs/{runs[0]['id']}/emissions", headers=h).json()
    assert page["total"] >= 1, done.stderr[-3000:]
    assert all(item["duration"] >= 1 and item["energy_consumed"] > 0 for item in page["items"])
    sums = client.get(f"/api/projects/{s.project}/sums", headers=h).json()
    assert sums["emissions_count"] == page["total"]
    assert abs(sums["energy_consumed"] - sum(i["energy_consumed"] for i in page["items"])) < 1e-12
    # the client sends each interval's duration cut to whole seconds (its #151)
    assert 5 - page["total"] <= sums["duration"] <= 8


def test_codecarbon_client_schema_matches_the_server(
    codecarbon_python: Path, tmp_path: Path
) -> None:
    from wattprint.server import schemas

    done = subprocess.run(
        [str(codecarbon_python), "-c", _SCHEMA],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    client: dict[str, list[str]] = json.loads(done.stdout)
    ours: dict[str, Any] = {
        "RunCreate": schemas.RunCreate,
        "EmissionCreate": schemas.EmissionCreate,
        "ExperimentCreate": schemas.ExperimentCreate,
        "OrganizationCreate": schemas.OrganizationCreate,
        "ProjectCreate": schemas.ProjectCreate,
    }
    for name, fields in client.items():
        assert set(fields) == set(ours[name].model_fields), name
        required = {f for f, info in ours[name].model_fields.items() if info.is_required()}
        assert required <= set(fields), name

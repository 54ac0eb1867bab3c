"""The server's API on SQLite and PostgreSQL: CodeCarbon's paths, tokens, roles, bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.server.conftest import ADMIN, Setup, make_setup

ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


def _recent(minutes: float = 0.0) -> str:
    return (datetime.now() - timedelta(minutes=minutes)).isoformat()


def _run(client: Any, s: Setup, **extra: Any) -> str:
    body = {
        "timestamp": datetime.now().astimezone().isoformat(),
        "experiment_id": s.experiment,
        "cpu_model": "Xeon",
        **extra,
    }
    answer = client.post("/runs", json=body, headers={"x-api-token": s.token})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _emission(run_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "timestamp": _recent(),
        "run_id": run_id,
        "duration": 60,
        "emissions_sum": 0.002,
        "emissions_rate": 0.002 / 60,
        "cpu_power": 30.0,
        "gpu_power": 0.0,
        "ram_power": 6.0,
        "cpu_energy": 0.0005,
        "gpu_energy": 0.0,
        "ram_energy": 0.0001,
        "energy_consumed": 0.0006,
        "wue": 1.5,
        **extra,
    }


def test_codecarbon_run_and_emissions_at_both_prefixes(client: Any, setup: Setup) -> None:
    run_id = _run(client, setup)
    h = {"x-api-token": setup.token}
    for prefix in ("", "/api"):
        answer = client.post(f"{prefix}/emissions", json=_emission(run_id), headers=h)
        assert answer.status_code == 201
        assert isinstance(answer.json(), str) and len(answer.json()) == 36
    sums = client.get(f"/api/projects/{setup.project}/sums", headers=h).json()
    assert sums["emissions_count"] == 2
    assert abs(sums["energy_consumed"] - 0.0012) < 1e-12
    assert abs(sums["emissions"] - 0.004) < 1e-12
    page = client.get(f"/runs/{run_id}/emissions?size=1&page=2", headers=h).json()
    assert (page["total"], page["pages"], len(page["items"])) == (2, 2, 1)
    assert client.get(f"/lastrun/project/{setup.project}", headers=h).json()["id"] == run_id
    exp_sums = client.get(f"/projects/{setup.project}/experiments/sums", headers=h).json()
    assert exp_sums[0]["emissions_count"] == 2 and exp_sums[0]["duration"] == 120
    run_sums = client.get(f"/experiments/{setup.experiment}/runs/sums", headers=h).json()
    assert run_sums[0]["run_id"] == run_id


def test_trailing_slash_redirect_keeps_the_method(client: Any, setup: Setup) -> None:
    answer = client.post(
        "/runs/",
        json={"timestamp": "2026-01-01T00:00:00", "experiment_id": setup.experiment},
        headers={"x-api-token": setup.token},
        follow_redirects=False,
    )
    assert answer.status_code == 307


def test_tokens_refused_for_other_projects_unknown_ids_and_missing(client: Any) -> None:
    a, b = make_setup(client), make_setup(client)
    run_a = _run(client, a)
    foreign = client.post("/emissions", json=_emission(run_a), headers={"x-api-token": b.token})
    unknown = client.post(
        "/emissions",
        json=_emission("00000000-0000-0000-0000-000000000000"),
        headers={"x-api-token": b.token},
    )
    assert foreign.status_code == unknown.status_code == 403
    assert foreign.json() == unknown.json()
    missing = client.post("/emissions", json=_emission(run_a))
    assert missing.status_code == 403 and "Missing project token" in missing.json()["detail"]
    read_only = client.post(
        "/emissions", json=_emission(run_a), headers={"x-api-token": a.read_token}
    )
    assert read_only.status_code == 403
    assert (
        client.get(f"/projects/{b.project}/sums", headers={"x-api-token": a.read_token}).status_code
        == 403
    )
    assert (
        client.get(f"/projects/{a.project}/sums", headers={"x-api-token": a.read_token}).status_code
        == 200
    )


def test_revoked_and_expired_tokens_are_refused(client: Any, setup: Setup) -> None:
    tokens = client.get(f"/projects/{setup.project}/api-tokens", headers=ADMIN_H).json()
    assert all(t["token"] is None for t in tokens)
    assert {t["prefix"] for t in tokens} == {setup.token[:12], setup.read_token[:12]}
    write = next(t for t in tokens if t["prefix"] == setup.token[:12])
    assert (
        client.delete(
            f"/projects/{setup.project}/api-tokens/{write['id']}", headers=ADMIN_H
        ).status_code
        == 204
    )
    answer = client.post(
        "/runs",
        json={"timestamp": "2026-01-01T00:00:00", "experiment_id": setup.experiment},
        headers={"x-api-token": setup.token},
    )
    assert answer.status_code == 403 and "revoked" in answer.json()["detail"]
    past = client.post(
        f"/projects/{setup.project}/api-tokens",
        headers=ADMIN_H,
        json={"access": 2, "expires_at": "2001-01-01T00:00:00Z"},
    )
    assert past.status_code == 422


def test_token_last_used_is_kept(client: Any, setup: Setup) -> None:
    _run(client, setup)
    tokens = client.get(f"/projects/{setup.project}/api-tokens", headers=ADMIN_H).json()
    used = next(t for t in tokens if t["prefix"] == setup.token[:12])
    assert used["last_used"] is not None


def test_bad_bodies_name_the_field(client: Any, setup: Setup) -> None:
    run_id = _run(client, setup)
    h = {"x-api-token": setup.token}
    negative = client.post("/emissions", json=_emission(run_id, cpu_energy=-0.1), headers=h)
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["field"] == "cpu_energy"
    infinite = client.post(
        "/emissions",
        headers={**h, "content-type": "application/json"},
        content=json.dumps(_emission(run_id, energy_consumed=float("inf"))),
    )
    assert (
        infinite.status_code == 422 and infinite.json()["detail"][0]["field"] == "energy_consumed"
    )
    zero = client.post("/emissions", json=_emission(run_id, duration=0), headers=h)
    assert zero.status_code == 422 and zero.json()["detail"][0]["field"] == "duration"
    missing = client.post("/runs", json={"timestamp": "2026-01-01T00:00:00"}, headers=h)
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "experiment_id"
    big = client.post(
        "/emissions",
        headers={**h, "content-type": "application/json"},
        content=b"{" + b" " * 300_000 + b"}",
    )
    assert big.status_code == 413 and "detail" in big.json()
    assert client.get("/no/such/route").json() == {"detail": "Not Found"}


def test_native_ingest_is_idempotent_and_keeps_the_newest(client: Any, setup: Setup) -> None:
    h = {"Authorization": f"Bearer {setup.token}"}
    base = {
        "run_id": "7b0e8f3c-0000-4000-8000-000000000001",
        "experiment": "native",
        "started_at": "2026-08-08T10:00:00Z",
    }
    start = {**base, "kind": "start", "seq": 0, "run": {"mode": "process", "hostname": "h1"}}
    cp = {
        **base,
        "kind": "checkpoint",
        "seq": 1,
        "run": {"energy_kwh": 0.01, "cpu_energy_kwh": 0.01, "emissions_kg": 0.005},
        "sample": {
            "timestamp": "2026-08-08T10:00:30Z",
            "duration_s": 30,
            "energy_kwh": 0.01,
            "cpu_energy_kwh": 0.01,
            "emissions_kg": 0.005,
        },
    }
    final = {
        **base,
        "kind": "result",
        "seq": 2,
        "run": {
            "status": "completed",
            "energy_kwh": 0.02,
            "cpu_energy_kwh": 0.02,
            "emissions_kg": 0.01,
            "duration_s": 60,
            "methodology": {
                "components": [{"component": "cpu", "method": "rapl", "measured": True}]
            },
        },
    }
    answers = [
        client.post("/v1/ingest", json=msg, headers=h).json()
        for msg in (start, cp, cp, final, cp, start)
    ]
    assert [a["stored"] for a in answers] == [True, True, False, True, False, False]
    run = client.get(f"/api/runs/{base['run_id']}", headers={"x-api-token": setup.read_token})
    assert run.status_code == 200
    page = client.get(f"/api/runs/{base['run_id']}/emissions", headers=ADMIN_H).json()
    assert page["total"] == 1
    metrics = client.get("/metrics").text
    assert f'project_id="{setup.project}"' in metrics
    assert client.get("/healthz").json() == {"status": "ok"}


def test_rate_limit_per_token(app: Any, setup: Setup) -> None:
    from fastapi.testclient import TestClient

    from wattprint.server.security import RateLimiter

    saved = app.state.rate_limiter
    app.state.rate_limiter = RateLimiter(0.001, 3, clock=lambda: 0.0)
    try:
        c = TestClient(app)
        codes = [
            c.get(
                f"/projects/{setup.project}/sums", headers={"x-api-token": setup.read_token}
            ).status_code
            for _ in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]
        other = c.get(f"/projects/{setup.project}", headers=ADMIN_H)
        assert other.status_code == 200
    finally:
        app.state.rate_limiter = saved

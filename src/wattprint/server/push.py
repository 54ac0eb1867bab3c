"""``wattprint push``: upload emissions.csv and JSON-lines files (CodeCarbon's too).

Each run becomes one ``result`` message with seq 0 (a run's own checkpoints
use 1 and up, its final result the highest), so pushing a file twice, or a
run the sink already sent, stores nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wattprint.errors import DataError
from wattprint.net import Transport, request
from wattprint.records.record import RunRecord


@dataclass(frozen=True, slots=True)
class PushCount:
    """What a push did: runs sent, and runs the server already had."""

    sent: int
    already: int


def message_of(record: RunRecord) -> dict[str, Any]:
    """Return the ingest message of one run read from a file."""
    if record.started_at is None and record.ended_at is None:
        raise DataError(f"{record.origin}: the run has no start or end time")
    started: datetime = record.started_at or record.ended_at  # type: ignore[assignment]
    if started.tzinfo is None:
        started = started.replace(tzinfo=timezone.utc)
    run_id = record.run_id or f"{record.origin}"
    parts = {c.component: c for c in record.components}

    def kwh(name: str) -> float:
        c = parts.get(name)
        return c.it_energy_kwh or 0.0 if c is not None else 0.0

    methodology = {
        "components": [
            {"component": c.component, "method": c.method, "measured": c.measured,
             "detail": c.detail, "attribution": c.attribution}
            for c in record.components
        ],
        "intensity": {"g_per_kwh": record.intensity.g_per_kwh, "source": record.intensity.source,
                      "year": record.intensity.year, "kind": record.intensity.kind,
                      "implied": record.intensity.implied, "detail": record.intensity.detail},
        "pue_source": record.pue_source, "water": record.water_detail,
        "notes": list(record.notes), "unknown": list(record.unknown),
    }  # fmt: skip
    status = record.status if record.status in ("running", "completed", "interrupted", "crashed",
                                                 "budget_exceeded") else "completed"  # fmt: skip
    return {
        "kind": "result", "run_id": run_id, "seq": 0, "project": record.project or "default",
        "experiment": record.experiment or "default", "started_at": started.isoformat(),
        "run": {
            "status": status, "tool": record.tool, "mode": record.mode,
            "ended_at": record.ended_at.isoformat() if record.ended_at else None,
            "duration_s": record.duration_s or 0.0, "energy_kwh": record.energy_kwh or 0.0,
            "cpu_energy_kwh": kwh("cpu"), "gpu_energy_kwh": kwh("gpu"),
            "ram_energy_kwh": kwh("ram"), "emissions_kg": record.emissions_kg or 0.0,
            "energy_kwh_low": record.energy_kwh_low, "energy_kwh_high": record.energy_kwh_high,
            "emissions_kg_low": record.emissions_kg_low,
            "emissions_kg_high": record.emissions_kg_high,
            "water_l": record.water_l or 0.0, "embodied_kg": record.embodied_kg or 0.0,
            "intensity_g_per_kwh": record.intensity.g_per_kwh,
            "intensity_source": record.intensity.source,
            "country_iso_code": record.place.country_iso3, "region": record.place.region,
            "cloud_provider": record.place.cloud_provider,
            "cloud_region": record.place.cloud_region, "run_group": record.run_group,
            "hostname": record.host.hostname, "os": record.host.os,
            "python_version": record.host.python_version, "cpu_model": record.host.cpu_model,
            "cpu_count": record.host.cpu_count, "gpu_model": record.host.gpu_model,
            "gpu_count": record.host.gpu_count, "ram_total_gb": record.host.ram_total_gb,
            "methodology": methodology,
            "tasks": [{"name": t.name, "duration_s": t.duration_s, "energy_kwh": t.energy_kwh,
                       "emissions_kg": t.emissions_kg, "water_l": t.water_l}
                      for t in record.tasks],
            "series": [{"elapsed_s": p.elapsed_s, **{f"{c}_power_w": w for c, w in p.power_w}}
                       for p in record.series],
        },
    }  # fmt: skip


def messages(paths: list[Path]) -> Iterator[dict[str, Any]]:
    """Yield the ingest message of every run in ``paths``, streamed."""
    from wattprint.records.read import read_records

    for path in paths:
        for record in read_records(path):
            yield message_of(record)


def push(
    paths: list[Path],
    server_url: str,
    token: str,
    *,
    timeout_s: float = 10.0,
    transport: Transport | None = None,
) -> PushCount:
    """Send every run of ``paths`` to the server; return how many were new.

    Raises:
        DataError: a file cannot be read.
        ProviderError: the server refused a run or could not be reached.
    """
    sent = already = 0
    url = server_url.rstrip("/") + "/v1/ingest"
    for message in messages(paths):
        answer = request(
            url, method="POST", body=json.dumps(message).encode(), timeout_s=timeout_s,
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            transport=transport,
        )  # fmt: skip
        stored = bool(json.loads(answer.body or b"{}").get("stored", False))
        sent, already = (sent + 1, already) if stored else (sent, already + 1)
    return PushCount(sent=sent, already=already)

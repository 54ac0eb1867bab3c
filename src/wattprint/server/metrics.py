"""``/healthz`` and Prometheus ``/metrics``: runs ingested, energy and emissions per project.

The figures are read from the database at each scrape, so every worker
answers the same.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select, text

from wattprint.server import models as m
from wattprint.server.deps import Db

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(db: Db) -> dict[str, str]:
    """Answer ok when the database answers."""
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@router.get("/metrics", response_class=PlainTextResponse)
def metrics(db: Db) -> str:
    """Return the Prometheus text exposition of the server's figures."""
    r, p = m.Run, m.Project
    lines = [
        "# HELP wattprint_server_runs_total Runs ingested, by source.",
        "# TYPE wattprint_server_runs_total counter",
    ]
    for source, count in db.execute(select(r.source, func.count(r.id)).group_by(r.source)):
        lines.append(f'wattprint_server_runs_total{{source="{_label(source)}"}} {count}')
    # each run keeps its count of samples: no scan of the samples at each scrape
    samples = db.execute(select(func.coalesce(func.sum(r.samples_count), 0))).scalar_one()
    lines += ["# HELP wattprint_server_samples_total Samples (intervals) ingested.",
              "# TYPE wattprint_server_samples_total counter",
              f"wattprint_server_samples_total {samples}"]  # fmt: skip
    rows = db.execute(
        select(p.id, p.name, func.coalesce(func.sum(r.energy_kwh), 0.0),
               func.coalesce(func.sum(r.emissions_kg), 0.0))
        .join(r, r.project_id == p.id, isouter=True).group_by(p.id, p.name)
    ).all()  # fmt: skip
    energy = ["# HELP wattprint_server_project_energy_kwh Energy of a project's runs (kWh).",
              "# TYPE wattprint_server_project_energy_kwh gauge"]  # fmt: skip
    carbon = ["# HELP wattprint_server_project_emissions_kg Emissions of a project's runs.",
              "# TYPE wattprint_server_project_emissions_kg gauge"]  # fmt: skip
    for pid, name, kwh, kg in rows:
        labels = f'project_id="{pid}",project="{_label(name)}"'
        energy.append(f"wattprint_server_project_energy_kwh{{{labels}}} {float(kwh)!r}")
        carbon.append(f"wattprint_server_project_emissions_kg{{{labels}}} {float(kg)!r}")
    return "\n".join(lines + energy + carbon) + "\n"

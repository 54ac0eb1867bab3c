"""CodeCarbon's API, as its 3.3.2 client and web app call it: runs, emissions, experiments.

Served at ``/`` and ``/api``. Writes take a project token in ``x-api-token``
(or a bearer); reads a token with read access, a signed-in member, or the
admin token. Organisations, projects and tokens are in :mod:`.api_orgs`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from wattprint.server import models as m
from wattprint.server import queries as q
from wattprint.server import schemas as s
from wattprint.server.access import Principal, check_project, forbidden
from wattprint.server.deps import Caller, Db, caller_of
from wattprint.server.store import add_cc_emission, create_cc_run, now_utc, utc

router = APIRouter(tags=["codecarbon"])

MISSING_TOKEN = "Not allowed to perform this action. Missing project token"


def _need_caller(who: Principal) -> None:
    if who.kind == "anonymous":
        raise forbidden(MISSING_TOKEN)


def cc_run(run: m.Run) -> dict[str, Any]:
    """Return a run as CodeCarbon's ``Run``."""
    return {
        "id": run.id, "timestamp": run.timestamp, "experiment_id": run.experiment_id,
        "os": run.os, "python_version": run.python_version,
        "codecarbon_version": run.codecarbon_version, "cpu_count": run.cpu_count,
        "cpu_model": run.cpu_model, "gpu_count": run.gpu_count, "gpu_model": run.gpu_model,
        "longitude": run.longitude, "latitude": run.latitude, "region": run.region,
        "provider": run.provider, "ram_total_size": run.ram_total_size,
        "tracking_mode": run.tracking_mode,
    }  # fmt: skip


def cc_emission(row: m.Sample) -> dict[str, Any]:
    """Return a sample as CodeCarbon's ``Emission``."""
    return {
        "id": row.id, "timestamp": row.timestamp, "run_id": row.run_id,
        "duration": max(1, round(row.duration_s)), "emissions_sum": row.emissions_kg,
        "emissions_rate": row.emissions_rate, "cpu_power": row.cpu_power_w,
        "gpu_power": row.gpu_power_w, "ram_power": row.ram_power_w,
        "cpu_energy": row.cpu_energy_kwh, "gpu_energy": row.gpu_energy_kwh,
        "ram_energy": row.ram_energy_kwh, "energy_consumed": row.energy_kwh,
        "cpu_utilization_percent": row.cpu_utilization_percent,
        "gpu_utilization_percent": row.gpu_utilization_percent,
        "ram_utilization_percent": row.ram_utilization_percent, "wue": row.wue,
    }  # fmt: skip


def cc_experiment(e: m.Experiment) -> dict[str, Any]:
    """Return an experiment as CodeCarbon's ``Experiment``."""
    return {
        "id": e.id, "name": e.name, "description": e.description, "timestamp": e.timestamp,
        "country_name": e.country_name, "country_iso_code": e.country_iso_code,
        "region": e.region, "on_cloud": e.on_cloud, "cloud_provider": e.cloud_provider,
        "cloud_region": e.cloud_region, "project_id": e.project_id,
    }  # fmt: skip


def _run_for_read(who: Principal, db: Db, run_id: str) -> m.Run:
    run = db.get(m.Run, run_id.lower())
    if run is None:
        raise forbidden()
    check_project(who, db, run.project_id)
    return run


def _experiment_for_read(who: Principal, db: Db, experiment_id: str) -> m.Experiment:
    experiment = db.get(m.Experiment, experiment_id.lower())
    if experiment is None:
        raise forbidden()
    check_project(who, db, experiment.project_id)
    return experiment


@router.post("/runs", status_code=201, response_model=s.Run)
def post_run(body: s.RunCreate, who: Caller, db: Db) -> dict[str, Any]:
    """Create a run (CodeCarbon's tracker, at its first upload)."""
    _need_caller(who)
    return cc_run(create_cc_run(db, who, body))


@router.post("/emissions", status_code=201, response_model=str)
def post_emission(body: s.EmissionCreate, request: Request, db: Db) -> str:
    """Add one upload of CodeCarbon's tracker; answer its id (a bare JSON string)."""
    who = caller_of(request, db)
    _need_caller(who)
    return add_cc_emission(db, who, body)


@router.get("/runs", response_model=list[s.Run])
def list_runs(who: Caller, db: Db) -> list[dict[str, Any]]:
    """List the runs the caller may see."""
    _need_caller(who)
    query = select(m.Run).order_by(m.Run.timestamp)
    if who.kind == "token":
        query = query.where(m.Run.project_id == who.project_id)
    elif who.kind == "user":
        orgs = list(who.roles)
        query = query.join(m.Project, m.Project.id == m.Run.project_id).where(
            m.Project.organisation_id.in_(orgs)
        )
    return [cc_run(r) for r in db.execute(query.limit(10_000)).scalars()]


@router.get("/runs/{run_id}", response_model=s.Run)
def get_run(run_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return a run."""
    return cc_run(_run_for_read(who, db, run_id))


@router.get("/runs/{run_id}/emissions")
def run_emissions(
    run_id: str,
    who: Caller,
    db: Db,
    page: int = Query(1, ge=1),
    size: int = Query(100, ge=1, le=10_000),
) -> dict[str, Any]:
    """Return a page of a run's emissions (fastapi-pagination's ``Page`` shape)."""
    run = _run_for_read(who, db, run_id)
    sm = m.Sample
    total = int(db.execute(select(func.count(sm.id)).where(sm.run_id == run.id)).scalar_one())
    rows = db.execute(
        select(sm).where(sm.run_id == run.id).order_by(sm.timestamp, sm.seq)
        .offset((page - 1) * size).limit(size)
    ).scalars()  # fmt: skip
    return {"items": [cc_emission(r) for r in rows], "total": total, "page": page,
            "size": size, "pages": (total + size - 1) // size}  # fmt: skip


@router.get("/emissions/{emission_id}", response_model=s.Emission)
def get_emission(emission_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return one emission row."""
    row = db.get(m.Sample, emission_id.lower())
    if row is None:
        raise forbidden()
    _run_for_read(who, db, row.run_id)
    return cc_emission(row)


@router.post("/experiments", status_code=201, response_model=s.Experiment)
def post_experiment(body: s.ExperimentCreate, who: Caller, db: Db) -> dict[str, Any]:
    """Create an experiment in a project the caller may write to."""
    _need_caller(who)
    check_project(who, db, body.project_id.lower(), write=True)
    experiment = m.Experiment(
        id=m.new_id(), project_id=body.project_id.lower(), name=body.name,
        description=body.description, timestamp=utc(body.timestamp or now_utc()),
        country_name=body.country_name, country_iso_code=body.country_iso_code,
        region=body.region, on_cloud=bool(body.on_cloud), cloud_provider=body.cloud_provider,
        cloud_region=body.cloud_region,
    )  # fmt: skip
    db.add(experiment)
    db.commit()
    return cc_experiment(experiment)


@router.get("/experiments/{experiment_id}", response_model=s.Experiment)
def get_experiment(experiment_id: str, who: Caller, db: Db) -> dict[str, Any]:
    """Return an experiment."""
    return cc_experiment(_experiment_for_read(who, db, experiment_id))


@router.get("/experiments/{experiment_id}/runs", response_model=list[s.Run])
def experiment_runs(experiment_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    """List an experiment's runs."""
    e = _experiment_for_read(who, db, experiment_id)
    rows = db.execute(select(m.Run).where(m.Run.experiment_id == e.id).order_by(m.Run.timestamp))
    return [cc_run(r) for r in rows.scalars()]


@router.get("/experiments/{experiment_id}/runs/sums")
def experiment_runs_sums(
    experiment_id: str, who: Caller, db: Db,
    start_date: datetime | None = None, end_date: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return CodeCarbon's report of each run of an experiment."""
    e = _experiment_for_read(who, db, experiment_id)
    start, end = q.window(start_date, end_date)
    query = q.sums_query(start, end).join(m.Run, m.Run.id == m.Sample.run_id)
    by_run = q.sums_by(db, query.where(m.Run.experiment_id == e.id), m.Sample.run_id)
    runs = db.execute(select(m.Run).where(m.Run.experiment_id == e.id).order_by(m.Run.timestamp))
    return [{"run_id": run.id, **cc_run(run), **by_run[run.id]}
            for run in runs.scalars() if run.id in by_run]  # fmt: skip


@router.get("/projects/{project_id}/experiments", response_model=list[s.Experiment])
def project_experiments(project_id: str, who: Caller, db: Db) -> list[dict[str, Any]]:
    """List a project's experiments."""
    project = check_project(who, db, project_id.lower())
    rows = db.execute(
        select(m.Experiment).where(m.Experiment.project_id == project.id)
        .order_by(m.Experiment.timestamp)
    )  # fmt: skip
    return [cc_experiment(e) for e in rows.scalars()]


@router.get("/projects/{project_id}/experiments/sums")
def project_experiments_sums(
    project_id: str, who: Caller, db: Db,
    start_date: datetime | None = None, end_date: datetime | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Return CodeCarbon's report of each experiment of a project."""
    project = check_project(who, db, project_id.lower())
    start, end = q.window(start_date, end_date)
    out = []
    query = q.sums_query(start, end).join(m.Run, m.Run.id == m.Sample.run_id)
    by_experiment = q.sums_by(db, query.where(m.Run.project_id == project.id),
                              m.Run.experiment_id)  # fmt: skip
    experiments = select(m.Experiment).where(m.Experiment.project_id == project.id)
    for e in db.execute(experiments).scalars():
        sums = by_experiment.get(e.id) or q.no_sums()
        sums["duration"] = int(sums["duration"])
        out.append({"experiment_id": e.id, **cc_experiment(e), **sums})
    return out


@router.get("/projects/{project_id}/sums")
def project_sums(
    project_id: str, who: Caller, db: Db,
    start_date: datetime | None = None, end_date: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Return CodeCarbon's report of a project."""
    project = check_project(who, db, project_id.lower())
    start, end = q.window(start_date, end_date)
    query = q.sums_query(start, end).join(m.Run, m.Run.id == m.Sample.run_id)
    sums = q.sums_of(db, query.where(m.Run.project_id == project.id))
    sums["duration"] = int(sums["duration"])
    return {"project_id": project.id, "name": project.name, "description": project.description,
            "organization_id": project.organisation_id, **sums}  # fmt: skip


@router.get("/lastrun/project/{project_id}")
def last_run(
    project_id: str, who: Caller, db: Db,
    start_date: datetime | None = None, end_date: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Return the project's latest run in the window, or ``{}``."""
    project = check_project(who, db, project_id.lower())
    start, end = q.window(start_date, end_date)
    run = db.execute(
        select(m.Run).where(m.Run.project_id == project.id, m.Run.timestamp >= start,
                            m.Run.timestamp <= end)
        .order_by(m.Run.timestamp.desc()).limit(1)
    ).scalar_one_or_none()  # fmt: skip
    return cc_run(run) if run is not None else {}

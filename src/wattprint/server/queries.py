"""Reads: aggregates computed by the database (never by looping over rows in Python).

CodeCarbon's ``sums`` follow its server: sums of the emission rows' energies,
emissions and durations in a time window, unweighted means of the powers and
rates. The dashboard's totals sum the runs' own totals (kept on the run row),
and count a multi-node job (one run group) once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from wattprint.server import models as m
from wattprint.server.ranges import bound_columns, range_kind
from wattprint.server.store import now_utc
from wattprint.units import J_PER_KWH

DEFAULT_POINTS = 600  # the most points a chart of one run shows; more are averaged.


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """Return CodeCarbon's default window: three months ago until tomorrow."""
    now = now_utc()
    return start or now - timedelta(days=92), end or now + timedelta(days=1)


def sums_query(start: datetime, end: datetime) -> Any:
    """Return the select of CodeCarbon's report fields over samples (add joins and filters)."""
    s = m.Sample
    return select(
        func.coalesce(func.sum(s.emissions_kg), 0.0).label("emissions"),
        func.coalesce(func.avg(s.cpu_power_w), 0.0).label("cpu_power"),
        func.coalesce(func.avg(s.gpu_power_w), 0.0).label("gpu_power"),
        func.coalesce(func.avg(s.ram_power_w), 0.0).label("ram_power"),
        func.coalesce(func.sum(s.cpu_energy_kwh), 0.0).label("cpu_energy"),
        func.coalesce(func.sum(s.gpu_energy_kwh), 0.0).label("gpu_energy"),
        func.coalesce(func.sum(s.ram_energy_kwh), 0.0).label("ram_energy"),
        func.coalesce(func.sum(s.energy_kwh), 0.0).label("energy_consumed"),
        func.coalesce(func.sum(s.duration_s), 0.0).label("duration"),
        func.coalesce(func.avg(s.emissions_rate), 0.0).label("emissions_rate"),
        func.count(s.id).label("emissions_count"),
        func.avg(s.cpu_utilization_percent).label("cpu_utilization_percent"),
        func.avg(s.gpu_utilization_percent).label("gpu_utilization_percent"),
        func.avg(s.ram_utilization_percent).label("ram_utilization_percent"),
    ).where(s.timestamp >= start, s.timestamp <= end)


def sums_of(db: Session, query: Any) -> dict[str, Any]:
    """Run a :func:`sums_query` and return its one row as a dict."""
    return dict(db.execute(query).one()._mapping)


def sums_by(db: Session, query: Any, key: Any) -> dict[str, dict[str, Any]]:
    """Run a :func:`sums_query` grouped by ``key`` (one query); return the sums of each key.

    A key with no sample in the window is absent (see :func:`no_sums`).
    """
    rows = db.execute(query.add_columns(key.label("sums_key")).group_by(key))
    return {row.sums_key: {k: v for k, v in row._mapping.items() if k != "sums_key"}
            for row in rows}  # fmt: skip


def no_sums() -> dict[str, Any]:
    """Return the sums of no sample (what :func:`sums_query` answers for an empty window)."""
    names = [c.name for c in sums_query(now_utc(), now_utc()).selected_columns]
    return {n: (0 if n == "emissions_count" else None if n.endswith("_percent") else 0.0)
            for n in names}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Totals:
    """Totals over runs. Units: kWh, kg CO2e, L, s."""

    runs: int
    jobs: int
    energy_kwh: float
    emissions_kg: float
    water_l: float
    embodied_kg: float
    duration_s: float
    cpu_energy_kwh: float
    gpu_energy_kwh: float
    ram_energy_kwh: float


def totals(db: Session, *conditions: Any) -> Totals:
    """Return the totals of the runs matching ``conditions``, a run group counted as one job."""
    r = m.Run
    job = func.coalesce(r.run_group, r.id)
    row = db.execute(
        select(
            func.count(r.id),
            func.count(func.distinct(job)),
            func.coalesce(func.sum(r.energy_kwh), 0.0),
            func.coalesce(func.sum(r.emissions_kg), 0.0),
            func.coalesce(func.sum(r.water_l), 0.0),
            func.coalesce(func.sum(r.embodied_kg), 0.0),
            func.coalesce(func.sum(r.duration_s), 0.0),
            func.coalesce(func.sum(r.cpu_energy_kwh), 0.0),
            func.coalesce(func.sum(r.gpu_energy_kwh), 0.0),
            func.coalesce(func.sum(r.ram_energy_kwh), 0.0),
        ).where(*conditions)
    ).one()
    runs, jobs, *figures = row
    return Totals(int(runs), int(jobs), *(float(v) for v in figures))


def status_expr(lost_after_s: float) -> Any:
    """Return the SQL expression of a run's status, ``lost`` for a silent running run."""
    r = m.Run
    cutoff = now_utc() - timedelta(seconds=lost_after_s)
    return case(
        (and_(r.status == "running", r.last_seen_at < cutoff), literal("lost")), else_=r.status
    )


def per_experiment(db: Session, project_id: str) -> list[dict[str, Any]]:
    """Return each experiment of a project with its runs' totals, biggest first."""
    r, e = m.Run, m.Experiment
    rows = db.execute(
        select(
            e.id, e.name,
            func.count(r.id).label("runs"),
            func.coalesce(func.sum(r.energy_kwh), 0.0).label("energy_kwh"),
            func.coalesce(func.sum(r.emissions_kg), 0.0).label("emissions_kg"),
        )
        .join(r, r.experiment_id == e.id, isouter=True)
        .where(e.project_id == project_id)
        .group_by(e.id, e.name)
        .order_by(func.coalesce(func.sum(r.emissions_kg), 0.0).desc(), e.name)
    ).all()  # fmt: skip
    return [dict(row._mapping) for row in rows]


def per_project(db: Session, organisation_id: str) -> list[dict[str, Any]]:
    """Return each project of an organisation with its runs' totals, biggest first."""
    r, p = m.Run, m.Project
    emissions = func.coalesce(func.sum(r.emissions_kg), 0.0)
    rows = db.execute(
        select(
            p.id, p.name,
            func.count(r.id).label("runs"),
            func.coalesce(func.sum(r.energy_kwh), 0.0).label("energy_kwh"),
            emissions.label("emissions_kg"),
            func.coalesce(func.sum(r.water_l), 0.0).label("water_l"),
        )
        .join(r, r.project_id == p.id, isouter=True)
        .where(p.organisation_id == organisation_id)
        .group_by(p.id, p.name)
        .order_by(emissions.desc(), p.name)
    ).all()  # fmt: skip
    return [dict(row._mapping) for row in rows]


def daily_trend(db: Session, *conditions: Any, days: int = 90) -> list[dict[str, Any]]:
    """Return energy and emissions per day of the runs' start, the last ``days`` days."""
    r = m.Run
    day = func.date(r.timestamp)
    rows = db.execute(
        select(
            day.label("day"),
            func.sum(r.energy_kwh).label("energy_kwh"),
            func.sum(r.emissions_kg).label("emissions_kg"),
        )
        .where(r.timestamp >= now_utc() - timedelta(days=days), *conditions)
        .group_by(day)
        .order_by(day)
    ).all()
    return [{"day": str(row.day), "energy_kwh": row.energy_kwh, "emissions_kg": row.emissions_kg}
            for row in rows]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Series:
    """A run's power over time, as charted: each point the mean over its samples.

    Attributes:
        points: (time, cpu W, gpu W, ram W, cumulative kWh, cumulative kg, intensity g/kWh).
        samples: how many samples the points stand for.
    """

    points: list[tuple[datetime, float, float, float, float, float, float | None]]
    samples: int


def run_series(db: Session, run_id: str, *, max_points: int = DEFAULT_POINTS) -> Series:
    """Return a run's power per component over time, averaged into at most ``max_points``.

    Every sample counts: a point is the energy of its samples over their
    duration (so long runs are averaged, never cut).
    """
    s = m.Sample
    count = int(db.execute(select(func.count(s.id)).where(s.run_id == run_id)).scalar_one())
    numbered = select(
        s.timestamp, s.duration_s, s.cpu_energy_kwh, s.gpu_energy_kwh, s.ram_energy_kwh,
        s.energy_kwh, s.emissions_kg,
        ((func.row_number().over(order_by=(s.timestamp, s.seq)) - 1) * max_points // max(count, 1))
        .label("bucket"),
    ).where(s.run_id == run_id).subquery()  # fmt: skip
    n = numbered.c
    seconds = func.sum(n.duration_s)
    rows = db.execute(
        select(
            func.max(n.timestamp),
            func.sum(n.cpu_energy_kwh) * J_PER_KWH / seconds,
            func.sum(n.gpu_energy_kwh) * J_PER_KWH / seconds,
            func.sum(n.ram_energy_kwh) * J_PER_KWH / seconds,
            func.sum(n.energy_kwh),
            func.sum(n.emissions_kg),
        )
        .group_by(n.bucket)
        .order_by(n.bucket)
    ).all()
    points = []
    energy = emissions = 0.0
    for ts, cpu, gpu, ram, kwh, kg in rows:
        energy += kwh or 0.0
        emissions += kg or 0.0
        points.append((ts, cpu or 0.0, gpu or 0.0, ram or 0.0, energy, emissions,
                       (kg * 1000.0 / kwh) if kwh else None))  # fmt: skip
    return Series(points=points, samples=count)


def org_condition(organisation_id: str) -> Any:
    """Return the condition "the run belongs to a project of this organisation" (a subquery)."""
    p = m.Project
    return m.Run.project_id.in_(select(p.id).where(p.organisation_id == organisation_id))


RUN_COLUMNS = (
    "id", "experiment", "source", "timestamp", "status", "hostname", "duration_s",
    "energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg",
    "water_l", "embodied_kg", "intensity_g_per_kwh", "country_iso_code", "run_group", "rank",
    "energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high", "range",
)  # fmt: skip
"""The columns of a runs table, as shown and exported."""


def project_runs(
    db: Session,
    project_id: str,
    *,
    lost_after_s: float,
    experiment_id: str | None = None,
    status: str | None = None,
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Return a project's runs, newest first, as :data:`RUN_COLUMNS` dicts (filters optional)."""
    r, e = m.Run, m.Experiment
    state = status_expr(lost_after_s)
    query = (
        select(
            r.id, e.name.label("experiment"), r.source, r.timestamp, state.label("status"),
            r.hostname, r.duration_s, r.energy_kwh, r.cpu_energy_kwh, r.gpu_energy_kwh,
            r.ram_energy_kwh, r.emissions_kg, r.water_l, r.embodied_kg, r.intensity_g_per_kwh,
            r.country_iso_code, r.run_group, r.rank, *bound_columns(),
            range_kind().label("range"),
        )
        .join(e, e.id == r.experiment_id)
        .where(r.project_id == project_id)
        .order_by(r.timestamp.desc(), r.id)
    )  # fmt: skip
    if experiment_id:
        query = query.where(r.experiment_id == experiment_id)
    if status:
        query = query.where(state == status)
    if limit is not None:
        query = query.limit(limit)
    return [dict(row._mapping) for row in db.execute(query).all()]


def places(db: Session, project_id: str) -> list[dict[str, Any]]:
    """Return where a project's runs ran: country, region and provider, with their totals."""
    r = m.Run
    rows = db.execute(
        select(
            r.country_iso_code, r.region, r.provider,
            func.count(r.id).label("runs"),
            func.coalesce(func.sum(r.energy_kwh), 0.0).label("energy_kwh"),
            func.coalesce(func.sum(r.emissions_kg), 0.0).label("emissions_kg"),
        )
        .where(r.project_id == project_id)
        .group_by(r.country_iso_code, r.region, r.provider)
        .order_by(func.coalesce(func.sum(r.energy_kwh), 0.0).desc())
    ).all()  # fmt: skip
    return [dict(row._mapping) for row in rows]

"""Writes: runs and samples from CodeCarbon's client and from wattprint's sink.

A CodeCarbon emission is a delta: it becomes one sample and is added to
its run's totals in the same statement (no read-modify-write). A wattprint
message carries the run's cumulative figures and, for a checkpoint, the
interval's delta: ``(run_id, seq)`` is unique, so a message sent twice is
stored once, and a message older than the newest one seen leaves the run's
totals alone.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wattprint.server import models as m
from wattprint.server import schemas as s
from wattprint.server.access import Principal, check_project, check_write, forbidden
from wattprint.units import J_PER_KWH

_RUN_ID_NAMESPACE = uuid.UUID("6f1d3c1e-5a43-4f3e-9a57-0d8f1b0c2a11")


def utc(value: datetime) -> datetime:
    """Return ``value`` in UTC; a naive time is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def now_utc() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(timezone.utc)


def run_key(run_id: str) -> str:
    """Return the stored id of a run: its UUID, or a UUID derived from another id."""
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(_RUN_ID_NAMESPACE, run_id))


def insert_ignore(db: Session, model: type[m.Base], values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same key exists; return True if inserted."""
    dialect = db.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    keys = model.__table__.primary_key.columns  # type: ignore[attr-defined]
    stmt = module.insert(model).values(**values).on_conflict_do_nothing().returning(*keys)
    return db.execute(stmt).first() is not None


# --- CodeCarbon's client ------------------------------------------------------------


def create_cc_run(db: Session, who: Principal, body: s.RunCreate) -> m.Run:
    """Store the run CodeCarbon's tracker announces (its experiment must be the token's)."""
    experiment = db.get(m.Experiment, body.experiment_id.lower())
    if experiment is None:
        raise forbidden()
    check_project(who, db, experiment.project_id, write=True)
    now = now_utc()
    run = m.Run(
        id=m.new_id(),
        experiment_id=experiment.id,
        project_id=experiment.project_id,
        source="codecarbon",
        timestamp=utc(body.timestamp),
        last_seen_at=now,
        status="running",
        os=body.os,
        python_version=body.python_version,
        codecarbon_version=body.codecarbon_version,
        cpu_count=body.cpu_count,
        cpu_model=body.cpu_model,
        gpu_count=body.gpu_count,
        gpu_model=body.gpu_model,
        longitude=body.longitude,
        latitude=body.latitude,
        region=body.region,
        provider=body.provider,
        country_iso_code=experiment.country_iso_code,
        ram_total_size=body.ram_total_size,
        tracking_mode=body.tracking_mode,
        intensity_source="CodeCarbon (implied by its emissions over its energy)",
        methodology=codecarbon_methodology(body),
    )
    db.add(run)
    db.commit()
    return run


def codecarbon_methodology(body: s.RunCreate) -> dict[str, Any]:
    """Return the methodology CodeCarbon's numbers imply (its client does not send one)."""
    return {
        "tool": f"CodeCarbon {body.codecarbon_version or ''}".strip(),
        "components": [
            {"component": "cpu", "method": "codecarbon (RAPL, else TDP x load)",
             "measured": None, "detail": body.cpu_model or ""},
            {"component": "gpu", "method": "codecarbon (NVML energy counter)",
             "measured": None, "detail": body.gpu_model or ""},
            {"component": "ram", "method": "codecarbon (per-DIMM model)",
             "measured": False, "detail": ""},
        ],
        "intensity": {"source": "CodeCarbon's tables (not sent by its client)",
                      "detail": "implied by emissions / energy of each upload"},
        "notes": ["powers sent by CodeCarbon are means since the run started; the charts "
                  "use each interval's energy over its duration instead",
                  "durations are whole seconds, as CodeCarbon sends them"],
    }  # fmt: skip


_RUN_PROJECT = select(m.Run.project_id).where(m.Run.id == bindparam("rid"))
_SAMPLES = cast(Table, m.Sample.__table__)
_RUNS = cast(Table, m.Run.__table__)
_SAMPLE_INSERT = insert(_SAMPLES)
_CC_ADD = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("rid"))
    .values(
        {name: _RUNS.c[name] + bindparam("add_" + name)
         for name in ("duration_s", "energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh",
                      "ram_energy_kwh", "emissions_kg", "water_l")}
        | {"samples_count": _RUNS.c.samples_count + 1,
           "last_seen_at": bindparam("now"), "ended_at": bindparam("end")}
    )
)  # fmt: skip
"""Statements built once: the ingest paths run them below the ORM (one per request each)."""


def add_cc_emission(db: Session, who: Principal, body: s.EmissionCreate) -> str:
    """Store one CodeCarbon upload as a sample and add it to its run; return the sample id."""
    conn = db.connection()
    run_id = body.run_id.lower()
    project_id = conn.execute(_RUN_PROJECT, {"rid": run_id}).scalar()
    if project_id is None:
        raise forbidden()
    check_write(who, db, project_id)
    energy = body.energy_consumed or 0.0
    emissions = body.emissions_sum or 0.0
    sample_id = m.new_id()
    now = now_utc()
    water = energy * (body.wue or 0.0)
    conn.execute(_SAMPLE_INSERT, {
        "id": sample_id, "run_id": run_id, "seq": None, "timestamp": utc(body.timestamp),
        "received_at": now, "duration_s": float(body.duration), "energy_kwh": energy,
        "cpu_energy_kwh": body.cpu_energy or 0.0, "gpu_energy_kwh": body.gpu_energy or 0.0,
        "ram_energy_kwh": body.ram_energy or 0.0, "emissions_kg": emissions,
        "emissions_rate": body.emissions_rate or 0.0, "cpu_power_w": body.cpu_power or 0.0,
        "gpu_power_w": body.gpu_power or 0.0, "ram_power_w": body.ram_power or 0.0,
        "cpu_utilization_percent": body.cpu_utilization_percent,
        "gpu_utilization_percent": body.gpu_utilization_percent,
        "ram_utilization_percent": body.ram_utilization_percent, "wue": body.wue or 0.0,
        "water_l": water,
        "intensity_g_per_kwh": emissions * 1000.0 / energy if energy else None,
    })  # fmt: skip
    conn.execute(_CC_ADD, {
        "rid": run_id, "add_duration_s": float(body.duration), "add_energy_kwh": energy,
        "add_cpu_energy_kwh": body.cpu_energy or 0.0,
        "add_gpu_energy_kwh": body.gpu_energy or 0.0,
        "add_ram_energy_kwh": body.ram_energy or 0.0, "add_emissions_kg": emissions,
        "add_water_l": water, "now": now, "end": utc(body.timestamp),
    })  # fmt: skip
    db.commit()
    return sample_id


# --- wattprint's sink and push --------------------------------------------------------


def _project_for(db: Session, who: Principal, msg: s.IngestMessage) -> str:
    if who.kind == "token":
        if who.project_id is None:
            raise forbidden()
        project_id = who.project_id
    elif msg.project_id is not None:
        project_id = msg.project_id.lower()
    else:
        raise forbidden("Not allowed to perform this action: send a project token")
    check_write(who, db, project_id)
    return project_id


_EXPERIMENT_ID = select(m.Experiment.id).where(
    m.Experiment.project_id == bindparam("pid"), m.Experiment.name == bindparam("name")
)


def _experiment_id(db: Session, project_id: str, name: str) -> str:
    conn = db.connection()
    found = conn.execute(_EXPERIMENT_ID, {"pid": project_id, "name": name}).scalar()
    if found is not None:
        return str(found)
    insert_ignore(
        db,
        m.Experiment,
        {"id": m.new_id(), "project_id": project_id, "name": name, "description": "",
         "timestamp": now_utc(), "on_cloud": False},
    )  # fmt: skip
    return str(conn.execute(_EXPERIMENT_ID, {"pid": project_id, "name": name}).scalar_one())


_RUN_FIGURES = (
    "status", "wattprint_version", "duration_s", "energy_kwh", "cpu_energy_kwh",
    "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg", "water_l", "embodied_kg", "last_seq",
    "last_seen_at",
)  # fmt: skip
"""Run columns a newer message always sets."""
_RUN_DETAILS = (
    "energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high", "ended_at",
    "tracking_mode", "intensity_g_per_kwh", "intensity_source", "country_iso_code", "region",
    "provider", "run_group", "rank", "hostname", "os", "python_version", "cpu_model",
    "cpu_count", "gpu_model", "gpu_count", "ram_total_size", "methodology", "tasks",
    "codecarbon_version",
)  # fmt: skip
"""Run columns a newer message sets when it has them (a missing one keeps the stored value)."""


def _run_values(msg: s.IngestMessage) -> dict[str, Any]:
    run = msg.run
    codecarbon = run.tool.startswith("CodeCarbon")
    return {
        "status": run.status,
        "wattprint_version": None if codecarbon else
                             run.tool.removeprefix("wattprint ").strip() or None,
        "duration_s": run.duration_s,
        "energy_kwh": run.energy_kwh,
        "cpu_energy_kwh": run.cpu_energy_kwh,
        "gpu_energy_kwh": run.gpu_energy_kwh,
        "ram_energy_kwh": run.ram_energy_kwh,
        "emissions_kg": run.emissions_kg,
        "water_l": run.water_l,
        "embodied_kg": run.embodied_kg,
        "last_seq": msg.seq,
        "energy_kwh_low": run.energy_kwh_low,
        "energy_kwh_high": run.energy_kwh_high,
        "emissions_kg_low": run.emissions_kg_low,
        "emissions_kg_high": run.emissions_kg_high,
        "ended_at": run.ended_at and utc(run.ended_at),
        "tracking_mode": run.mode,
        "intensity_g_per_kwh": run.intensity_g_per_kwh,
        "intensity_source": run.intensity_source,
        "country_iso_code": run.country_iso_code,
        "region": run.region,
        "provider": run.cloud_provider,
        "run_group": run.run_group,
        "rank": run.rank,
        "hostname": run.hostname,
        "os": run.os,
        "python_version": run.python_version,
        "cpu_model": run.cpu_model,
        "cpu_count": run.cpu_count,
        "gpu_model": run.gpu_model,
        "gpu_count": run.gpu_count,
        "ram_total_size": run.ram_total_gb,
        "methodology": run.methodology,
        "tasks": run.tasks or None,
        "codecarbon_version": run.tool.removeprefix("CodeCarbon").strip() if codecarbon else None,
    }  # fmt: skip


@lru_cache(maxsize=4)
def _run_upsert(dialect: str) -> Any:
    """Return the insert of a run that, for a known run, applies a newer message only.

    One statement (``INSERT ... ON CONFLICT DO UPDATE ... WHERE``): the
    update happens only when the stored run is of the same project and has
    an older ``last_seq``; it answers the run's id when it wrote.
    """
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(_RUNS)
    new = stmt.excluded
    changes: dict[str, Any] = {name: new[name] for name in _RUN_FIGURES}
    changes |= {name: func.coalesce(new[name], _RUNS.c[name]) for name in _RUN_DETAILS}
    changes["samples_count"] = _RUNS.c.samples_count + new.samples_count
    return stmt.on_conflict_do_update(
        index_elements=[_RUNS.c.id],
        set_=changes,
        where=(_RUNS.c.last_seq < new.last_seq) & (_RUNS.c.project_id == new.project_id),
    ).returning(_RUNS.c.id)


@lru_cache(maxsize=4)
def _sample_insert_ignore(dialect: str) -> Any:
    module: Any = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_SAMPLES).on_conflict_do_nothing().returning(_SAMPLES.c.id)


_COUNT_SAMPLE = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("rid"))
    .values(samples_count=_RUNS.c.samples_count + bindparam("add"))
)


def ingest(db: Session, who: Principal, msg: s.IngestMessage) -> s.IngestAnswer:
    """Store one message of wattprint's sink or push, once however often it is sent.

    The common case (the run's next message) is three statements: the
    experiment's id, the run's upsert, the sample's insert. A message that
    is not newer than the stored run leaves the run alone; the run of
    another project is refused.
    """
    project_id = _project_for(db, who, msg)
    experiment_id = _experiment_id(db, project_id, msg.experiment)
    run_id = run_key(msg.run_id)
    conn = db.connection()
    dialect = conn.dialect.name
    has_sample = msg.sample is not None
    source = "codecarbon" if msg.run.tool.startswith("CodeCarbon") else "wattprint"
    written = conn.execute(_run_upsert(dialect), {
        "id": run_id, "experiment_id": experiment_id, "project_id": project_id,
        "source": source, "timestamp": utc(msg.started_at), "last_seen_at": now_utc(),
        "samples_count": int(has_sample), **_run_values(msg),
    }).first() is not None  # fmt: skip
    if not written:  # an older message, or the run of another project
        if conn.execute(_RUN_PROJECT, {"rid": run_id}).scalar() != project_id:
            raise forbidden()
    stored = written
    if msg.sample is not None:
        added = _add_sample(db, run_id, msg.seq, msg.sample)
        if added != written:  # the upsert counted the sample as new only when it wrote
            conn.execute(_COUNT_SAMPLE, {"rid": run_id, "add": 1 if added else -1})
        stored = stored or added
    elif msg.kind == "result" and msg.run.series:
        _series_samples(db, run_id, msg)
    db.commit()
    return s.IngestAnswer(run_id=run_id, seq=msg.seq, stored=stored)


def _add_sample(db: Session, run_id: str, seq: int, p: s.NativeSample) -> bool:
    """Insert a checkpoint's sample unless the run has one of that seq; True if inserted."""
    d = p.duration_s
    conn = db.connection()
    return conn.execute(_sample_insert_ignore(conn.dialect.name), {
        "id": m.new_id(), "run_id": run_id, "seq": seq, "timestamp": utc(p.timestamp),
        "received_at": now_utc(), "duration_s": d, "energy_kwh": p.energy_kwh,
        "cpu_energy_kwh": p.cpu_energy_kwh, "gpu_energy_kwh": p.gpu_energy_kwh,
        "ram_energy_kwh": p.ram_energy_kwh, "emissions_kg": p.emissions_kg,
        "emissions_rate": p.emissions_kg / d, "cpu_power_w": p.cpu_energy_kwh * J_PER_KWH / d,
        "gpu_power_w": p.gpu_energy_kwh * J_PER_KWH / d,
        "ram_power_w": p.ram_energy_kwh * J_PER_KWH / d, "wue": 0.0, "water_l": p.water_l,
        "intensity_g_per_kwh": p.intensity_g_per_kwh,
    }).first() is not None  # fmt: skip


def _series_samples(db: Session, run_id: str, msg: s.IngestMessage) -> None:
    """Make samples of a finished run's power series when no checkpoint sent any."""
    if db.execute(select(m.Sample.id).where(m.Sample.run_id == run_id).limit(1)).first():
        return
    start = utc(msg.started_at)
    intensity = msg.run.intensity_g_per_kwh or 0.0
    previous = 0.0
    rows = []
    from datetime import timedelta

    for i, point in enumerate(msg.run.series):
        d = point.elapsed_s - previous
        if d <= 0:
            continue
        previous = point.elapsed_s
        kwh = [w * d / J_PER_KWH for w in (point.cpu_power_w, point.gpu_power_w, point.ram_power_w)]
        rows.append(
            {"id": m.new_id(), "run_id": run_id, "seq": 1_000_000_000 + i,
             "timestamp": start + timedelta(seconds=point.elapsed_s), "received_at": now_utc(),
             "duration_s": d, "energy_kwh": sum(kwh), "cpu_energy_kwh": kwh[0],
             "gpu_energy_kwh": kwh[1], "ram_energy_kwh": kwh[2],
             "emissions_kg": sum(kwh) * intensity / 1000.0,
             "emissions_rate": sum(kwh) * intensity / 1000.0 / d,
             "cpu_power_w": point.cpu_power_w, "gpu_power_w": point.gpu_power_w,
             "ram_power_w": point.ram_power_w, "wue": 0.0, "water_l": 0.0,
             "intensity_g_per_kwh": intensity or None}
        )  # fmt: skip
    if rows:
        db.execute(insert(m.Sample), rows)
        r = m.Run
        db.execute(update(r).where(r.id == run_id).values(samples_count=len(rows)))

"""What each dashboard page shows: the figures (SQL aggregates) gathered for its template.

Each builder checks the caller's rights first (unknown and foreign ids are
refused alike, see :mod:`wattprint.server.access`) and returns the
template's context. The charts are inline SVG; every chart's numbers are in
the context too, for the table beside it.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from wattprint.impact.equivalents import equivalents, say
from wattprint.report.render.svg import Bar, Line, bar_chart, line_chart
from wattprint.server import models as m
from wattprint.server import queries as q
from wattprint.server.access import Principal, aware, check_org, check_project, forbidden
from wattprint.server.charts import stacked_power_chart
from wattprint.server.ranges import IMPLIED_NOTE, bound_columns, range_kind, range_totals
from wattprint.server.run_figures import (
    LIVE_STATUSES,
    run_figures,
    run_texts,
    series_cells,
    version_of,
)
from wattprint.units_format import energy_text, mass_text, water_text

LIVE_REFRESH_S = 10  # without JavaScript, a running run's page reloads this often. Units: s.
LIVE_POLL_S = 5  # with it, the page asks for news this often (and backs off on errors). Units: s.
STATUSES = ("running", "completed", "interrupted", "crashed", "budget_exceeded", "lost")


def organisations(db: Session, who: Principal) -> list[m.Organisation]:
    """Return the organisations the caller may see, oldest first."""
    query = select(m.Organisation).order_by(m.Organisation.created_at, m.Organisation.name)
    if who.kind != "admin":
        query = query.where(m.Organisation.id.in_(list(who.roles)))
    return list(db.execute(query).scalars())


def equivalents_of(totals: q.Totals) -> list[dict[str, Any]]:
    """Return the totals told as everyday equivalents, each with its source and year."""
    return [
        {"text": say(e), "source": e.factor.source, "year": e.factor.year}
        for e in equivalents(emissions_kg=totals.emissions_kg, energy_kwh=totals.energy_kwh)
    ]


def org_page(db: Session, who: Principal, organisation_id: str) -> dict[str, Any]:
    """Return the organisation page's context: totals, projects ranked, the daily trend."""
    org = db.get(m.Organisation, organisation_id.lower())
    if org is None:
        raise forbidden()
    check_org(who, org.id)
    in_org = q.org_condition(org.id)
    projects = q.per_project(db, org.id)
    trend = q.daily_trend(db, in_org)
    totals = q.totals(db, in_org)
    return {
        "org": org,
        "totals": totals,
        "ranges": range_totals(db, in_org),
        "implied_note": IMPLIED_NOTE,
        "equivalents": equivalents_of(totals),
        "projects": projects,
        "projects_chart": bar_chart(
            [
                Bar(p["name"], p["emissions_kg"], mass_text(p["emissions_kg"], " CO2e"))
                for p in projects
            ],
            title="Emissions per project",
        ),  # fmt: skip
        "trend": trend,
        "trend_chart": bar_chart(
            [
                Bar(t["day"], t["emissions_kg"] or 0.0, mass_text(t["emissions_kg"] or 0.0))
                for t in trend
            ],
            title="Emissions per day (runs by their start)",
        )
        if trend
        else "",  # fmt: skip
    }


def _runs_filters(
    db: Session, project_id: str, experiment: str | None, status: str | None
) -> tuple[str | None, str | None]:
    experiment_id = experiment.lower() if experiment else None
    if experiment_id is not None:
        found = db.get(m.Experiment, experiment_id)
        if found is None or found.project_id != project_id:
            raise forbidden()
    return experiment_id, status if status in STATUSES else None


def project_page(
    db: Session,
    who: Principal,
    project_id: str,
    *,
    lost_after_s: float,
    experiment: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """Return the project page's context: totals, last run, experiments, the runs table."""
    project = check_project(who, db, project_id.lower())
    experiment_id, status = _runs_filters(db, project.id, experiment, status)
    runs = q.project_runs(db, project.id, lost_after_s=lost_after_s,
                          experiment_id=experiment_id, status=status)  # fmt: skip
    last = q.project_runs(db, project.id, lost_after_s=lost_after_s, limit=1)
    experiments = q.per_experiment(db, project.id)
    totals = q.totals(db, m.Run.project_id == project.id)
    recent = runs[:30]
    query = urlencode({k: v for k, v in (("experiment", experiment_id), ("status", status)) if v})
    return {
        "project": project,
        "org": db.get(m.Organisation, project.organisation_id),
        "totals": totals,
        "ranges": range_totals(db, m.Run.project_id == project.id),
        "implied_note": IMPLIED_NOTE,
        "equivalents": equivalents_of(totals),
        "last": last[0] if last else None,
        "places": q.places(db, project.id),
        "runs_chart": bar_chart(
            [
                Bar(
                    r["timestamp"].strftime("%Y-%m-%d %H:%M") + " " + r["experiment"],
                    r["energy_kwh"],
                    energy_text(r["energy_kwh"]),
                )
                for r in recent
            ],
            title=f"Energy of the newest {len(recent)} runs shown",
        ),  # fmt: skip
        "experiments": experiments,
        "experiments_chart": bar_chart(
            [Bar(e["name"], e["energy_kwh"], energy_text(e["energy_kwh"])) for e in experiments],
            title="Energy per experiment",
        ),
        "runs": runs,
        "statuses": STATUSES,
        "experiment_id": experiment_id,
        "status": status,
        "export_query": ("?" + query) if query else "",
    }


def run_page(db: Session, who: Principal, run_id: str, *, lost_after_s: float) -> dict[str, Any]:
    """Return the run page's context: power by component over time, methodology, tasks."""
    run = db.get(m.Run, run_id.lower())
    if run is None:
        raise forbidden()
    project = check_project(who, db, run.project_id)
    status, *bounds = db.execute(
        select(q.status_expr(lost_after_s), range_kind(), *bound_columns())
        .where(m.Run.id == run.id)
    ).one()
    series = q.run_series(db, run.id)
    start = aware(run.timestamp)
    rows: list[dict[str, Any]] = [
        {"timestamp": ts, "elapsed_s": (aware(ts) - start).total_seconds(), "cpu_w": cpu,
         "gpu_w": gpu, "ram_w": ram, "energy_kwh": kwh, "emissions_kg": kg,
         "intensity_g_per_kwh": gi}
        for ts, cpu, gpu, ram, kwh, kg, gi in series.points
    ]  # fmt: skip
    chart = stacked_power_chart(
        [(r["elapsed_s"], (r["cpu_w"], r["gpu_w"], r["ram_w"])) for r in rows],
        title="Power over time, stacked by component (W)",
    )

    def over_time(label: str, key: str, scale: float) -> Line:
        return Line(label, tuple((r["elapsed_s"], (r[key] or 0.0) * scale) for r in rows
                                 if r[key] is not None))  # fmt: skip

    seconds = "time since the start (s)"
    lines = [
        line_chart([over_time("energy", "energy_kwh", 1000.0)], title="Energy so far (Wh)",
                   x_label=seconds, y_label="Wh"),
        line_chart([over_time("emissions", "emissions_kg", 1000.0)],
                   title="Emissions so far (g CO2e)", x_label=seconds, y_label="g CO2e"),
        line_chart([over_time("intensity", "intensity_g_per_kwh", 1.0)],
                   title="Grid intensity used (g/kWh)", x_label=seconds, y_label="g/kWh"),
    ] if rows else []  # fmt: skip
    methodology = run.methodology if isinstance(run.methodology, dict) else {}
    named = dict(zip(("range", "energy_kwh_low", "energy_kwh_high", "emissions_kg_low",
                      "emissions_kg_high"), bounds, strict=True))  # fmt: skip
    return {
        "run": run,
        "status": status,
        "live": status in LIVE_STATUSES,
        "version": version_of(run, status),
        "poll_s": LIVE_POLL_S,
        "bounds": named,
        "texts": run_texts(run, named, series.samples, len(rows), IMPLIED_NOTE),
        "figures": run_figures(run),
        "cells": [series_cells(r) for r in rows],
        "project": project,
        "org": db.get(m.Organisation, project.organisation_id),
        "experiment": db.get(m.Experiment, run.experiment_id),
        "series": rows,
        "samples": series.samples,
        "chart": chart,
        "refresh_s": LIVE_REFRESH_S,
        "line_charts": lines,
        "components": [c for c in methodology.get("components", []) if isinstance(c, dict)],
        "methodology": {k: v for k, v in methodology.items() if k != "components"},
        "tasks": [t for t in (run.tasks or []) if isinstance(t, dict)],
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def runs_export(
    db: Session,
    who: Principal,
    project_id: str,
    *,
    lost_after_s: float,
    fmt: str,
    experiment: str | None = None,
    status: str | None = None,
) -> str:
    """Return a project's runs (all of them, filtered like the page) as CSV or JSON text."""
    project = check_project(who, db, project_id.lower())
    experiment_id, status = _runs_filters(db, project.id, experiment, status)
    runs = q.project_runs(db, project.id, lost_after_s=lost_after_s,
                          experiment_id=experiment_id, status=status, limit=None)  # fmt: skip
    rows = [{name: _plain(run[name]) for name in q.RUN_COLUMNS} for run in runs]
    if fmt == "json":
        return json.dumps(rows, indent=1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=q.RUN_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


MAX_COMPARED = 10
COMPARED_FIELDS = (
    ("Energy", "energy_kwh", energy_text), ("CPU energy", "cpu_energy_kwh", energy_text),
    ("GPU energy", "gpu_energy_kwh", energy_text), ("RAM energy", "ram_energy_kwh", energy_text),
    ("Emissions (CO2e)", "emissions_kg", mass_text), ("Water", "water_l", water_text),
    ("Embodied (CO2e)", "embodied_kg", mass_text),
)  # fmt: skip
"""The figures compared: label, run column, how it is written."""


def compare_page(
    db: Session, who: Principal, run_ids: list[str], *, lost_after_s: float
) -> dict[str, Any]:
    """Return the compare page's context: runs side by side, power curves overlaid.

    Each run is checked like its own page (a foreign or unknown id refuses
    the whole page); differences are against the first run.
    """
    wanted = list(dict.fromkeys(i.lower() for i in run_ids))[:MAX_COMPARED]
    pages = [run_page(db, who, run_id, lost_after_s=lost_after_s) for run_id in wanted]
    lines = [
        Line(f"{p['run'].id[:8]} {p['experiment'].name}",
             tuple((r["elapsed_s"], r["cpu_w"] + r["gpu_w"] + r["ram_w"]) for r in p["series"]))
        for p in pages
    ]  # fmt: skip
    first = pages[0]["run"] if pages else None
    figures = []
    for label, name, write in COMPARED_FIELDS:
        cells = []
        for p in pages:
            value = float(getattr(p["run"], name))
            base = float(getattr(first, name)) if first is not None else 0.0
            delta = value - base
            share = f" ({delta / base:+.0%})" if base else ""
            sign = "+" if delta >= 0 else "−"
            cells.append({"value": value, "text": write(value),
                          "delta": f"{sign}{write(abs(delta))}{share}"})  # fmt: skip
        figures.append({"label": label, "name": name, "cells": cells})
    return {
        "pages": pages,
        "figures": figures,
        "power_chart": line_chart(
            lines,
            title="Total power over time (W)",
            x_label="time since the start (s)",
            y_label="W",
        )
        if pages
        else "",  # fmt: skip
        "energy_chart": bar_chart(
            [
                Bar(
                    f"{p['run'].id[:8]} {p['experiment'].name}",
                    p["run"].energy_kwh,
                    energy_text(p["run"].energy_kwh),
                )
                for p in pages
            ],
            title="Energy per run",
        ),  # fmt: skip
    }

"""The live view's news: what a running run's page shows now, as JSON for its script.

``static/live.js`` asks every few seconds, sending the version it shows
(:func:`wattprint.server.run_figures.version_of`). When nothing changed the
answer is a few bytes, read from the run's row alone; otherwise it carries
the headline figures, the texts that change, every row of the power table
and the charts, all as the page itself would print them. Access is checked
as for the page: a foreign or unknown run is refused alike.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wattprint.server import models as m
from wattprint.server import pages
from wattprint.server import queries as q
from wattprint.server.access import Principal, check_project, forbidden
from wattprint.server.run_figures import LIVE_STATUSES, version_of


def live_state(
    db: Session, who: Principal, run_id: str, *, lost_after_s: float, known: str | None
) -> dict[str, Any]:
    """Return the run's news since version ``known`` (everything when it differs).

    Keys: ``version``, ``status``, ``live`` (whether to keep asking),
    ``changed``; when changed also ``figures`` (by ``data-figure`` name:
    value and text), ``texts`` (by element id), ``rows`` (the power table's
    cells) and ``charts`` (SVG by the id of the figure holding it).
    """
    run = db.get(m.Run, run_id.lower())
    if run is None:
        raise forbidden()
    check_project(who, db, run.project_id)
    status = db.execute(select(q.status_expr(lost_after_s)).where(m.Run.id == run.id)).scalar_one()
    version = version_of(run, status)
    live = status in LIVE_STATUSES
    news: dict[str, Any] = {
        "version": version, "status": status, "live": live, "changed": version != known
    }
    if version == known:
        return news
    page = pages.run_page(db, who, run.id, lost_after_s=lost_after_s)
    charts = {"power-chart": page["chart"]}
    charts.update({f"line-chart-{n}": svg for n, svg in enumerate(page["line_charts"])})
    news.update(
        version=page["version"],
        status=page["status"],
        live=page["live"],
        figures=page["figures"],
        texts=page["texts"],
        rows=page["cells"],
        charts=charts,
    )
    return news

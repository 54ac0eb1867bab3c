"""A run's signed report, for download from its page; and the key that signs it.

The report is the one ``wattprint report --run ID --sign KEY`` would write
for the run's record (:mod:`wattprint.server.run_record`), signed with the
server's Ed25519 key, so ``wattprint verify`` checks it like any other:
the signature against the server's public key (``/signing-key.pub``), then
every derived figure recomputed. A signature says the report left this
server as it is; the figures are what the run's client sent.

The key is the PEM file named by ``WATTPRINT_SERVER_SIGNING_KEY`` when set;
otherwise the server makes one at its first download and keeps it in the
database, so every worker signs with the same key. ``cryptography`` comes
with the ``sign`` extra (and with ``server``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wattprint._version import __version__
from wattprint.errors import DataError
from wattprint.records.record import RunRecord
from wattprint.report.aggregate import Aggregate
from wattprint.report.model import RUNS_LISTED, Scope
from wattprint.report.render.jsonreport import render_json, report_to_dict
from wattprint.report.signing import (
    ed25519_modules,
    generate_keypair,
    load_private_key,
    sign_report,
)
from wattprint.server import models as m
from wattprint.server import queries as q
from wattprint.server.access import Principal, aware, check_project, forbidden
from wattprint.server.run_record import record_of
from wattprint.server.store import insert_ignore

SECRET_NAME = "report-signing-key"
"""The server secret holding the signing key (PKCS#8 PEM) when no key file is set."""


def signing_key(db: Session, key_file: str | None) -> Any:
    """Return the server's Ed25519 private key: the file's, else the one kept in the database.

    Raises:
        DataError: the key file cannot be read or holds no Ed25519 private key.
        MissingDependencyError: ``cryptography`` is not installed.
    """
    ed25519, serialization = ed25519_modules()
    if key_file:
        return load_private_key(Path(key_file))
    pem = generate_keypair()[0].decode("ascii")
    insert_ignore(db, m.ServerSecret, {"name": SECRET_NAME, "value": pem})
    db.commit()
    kept = db.execute(
        select(m.ServerSecret.value).where(m.ServerSecret.name == SECRET_NAME)
    ).scalar_one()
    key = serialization.load_pem_private_key(kept.encode("ascii"), password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        raise DataError(f"the server secret {SECRET_NAME!r} holds no Ed25519 private key")
    return key


def signed_run_report(record: RunRecord, private_key: Any) -> str:
    """Return the signed JSON report of one run (the file's text, ``wattprint.report/1``)."""
    aggregate = Aggregate(RUNS_LISTED)
    aggregate.add(record)
    scope = Scope(kind="run", run_id=record.run_id, project=record.project, group=None, inputs=())
    report = aggregate.report(
        scope,
        load_notes=(),
        generator=f"wattprint {__version__} (server)",
        now=None,
        title=None,
        top=3,
    )
    return render_json(sign_report(report_to_dict(report), private_key))


def run_report(
    db: Session, who: Principal, run_id: str, *, lost_after_s: float, private_key: Any
) -> tuple[str, str]:
    """Return the run's signed report and its file name (access checked as for its page)."""
    run = db.get(m.Run, run_id.lower())
    if run is None:
        raise forbidden()
    project = check_project(who, db, run.project_id)
    experiment = db.get(m.Experiment, run.experiment_id)
    status = db.execute(select(q.status_expr(lost_after_s)).where(m.Run.id == run.id)).scalar_one()
    start = aware(run.timestamp)
    series = [
        ((aware(ts) - start).total_seconds(), cpu, gpu, ram)
        for ts, cpu, gpu, ram, *_ in q.run_series(db, run.id).points
    ]
    record = record_of(run, project=project.name, experiment=experiment.name if experiment else "",
                       status=status, series=series)  # fmt: skip
    return signed_run_report(record, private_key), f"wattprint-run-{run.id[:8]}.json"

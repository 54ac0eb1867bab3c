"""What the experiment-tracker sinks upload: the methodology and the report of a run.

The report is the JSON report ``wattprint report --format json`` writes for
the run (signed with an Ed25519 key when one is given, as ``--sign`` does),
so a reader of the experiment can check it with ``wattprint verify``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from wattprint.integrations.monitor import PREFIX, figures_of, ranged_fields
from wattprint.records.jsonl_form import run_to_line
from wattprint.records.run_dict import plain
from wattprint.results import Footprint, RunResult


def methodology_of(result: RunResult) -> dict[str, Any]:
    """Return how every figure of ``result`` was obtained, as plain data."""
    data: dict[str, Any] = plain(result.methodology)
    data["measured_share"] = result.measured_share
    return data


def report_of(result: RunResult, *, sign_key: str | Path | None = None) -> dict[str, Any]:
    """Return the JSON report of ``result`` (signed with the PEM key at ``sign_key``, if any).

    Raises:
        DataError: the run could not be read back into a report.
        MissingDependencyError: signing needs ``cryptography`` (the ``sign`` extra).
    """
    from wattprint.report.build import report_from_files
    from wattprint.report.render.jsonreport import report_to_dict

    with tempfile.TemporaryDirectory(prefix="wattprint-report-") as folder:
        path = Path(folder) / "run.jsonl"
        path.write_bytes(run_to_line(result))
        data: dict[str, Any] = report_to_dict(report_from_files([path]))
    if sign_key is not None:
        from wattprint.report.signing import load_private_key, sign_report

        data = sign_report(data, load_private_key(Path(sign_key)))
    return data


def metrics_of(result: Footprint, *, prefix: str = PREFIX) -> dict[str, float]:
    """Return energy, emissions and water (with ranges, when results carry them)."""
    return figures_of(result, ranged_fields(type(result)), prefix=prefix)


def tags_of(result: RunResult) -> dict[str, str]:
    """Return the run's identity and provenance as short text tags."""
    m = result.methodology
    tags = {
        "wattprint.run_id": result.run_id,
        "wattprint.status": result.status,
        "wattprint.country": result.location.country_iso3,
        "wattprint.intensity_source": f"{m.intensity.source} {m.intensity.year}".strip(),
        "wattprint.estimated": "false" if result.measured_share >= 1.0 else "true",
    }
    for c in m.components:
        tags[f"wattprint.{c.component}_method"] = c.method
    return tags


def dumps(data: dict[str, Any]) -> str:
    """Return ``data`` as indented JSON text."""
    return json.dumps(data, indent=2, sort_keys=True, default=str)


__all__ = ["dumps", "methodology_of", "metrics_of", "report_of", "tags_of"]

"""From files to a rendered report: what ``wattprint report`` calls.

:func:`report_from_files` reads the files, keeps the runs asked for and
builds the report (with each input file's SHA-256, so the report names
exactly what it was made from); :func:`render` writes it in one format.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from wattprint._version import __version__
from wattprint.errors import ConfigError, choices
from wattprint.records.read import OnDamaged
from wattprint.report.load import load_runs, select
from wattprint.report.model import InputFile, Report, Scope, ScopeKind, build_report

Format = Literal["md", "html", "latex", "json"]
FORMATS: tuple[Format, ...] = ("md", "html", "latex", "json")
"""The formats a report can be written in."""

SUFFIXES: dict[str, Format] = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".tex": "latex",
    ".json": "json",
}
"""Output file suffixes, and the format each implies."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def report_from_files(
    paths: Sequence[str | Path],
    *,
    run_id: str | None = None,
    project: str | None = None,
    group: str | None = None,
    title: str | None = None,
    top: int = 3,
    now: datetime | None = None,
    on_damaged: OnDamaged | None = None,
) -> Report:
    """Return the report of the runs in ``paths`` that match every filter given.

    A damaged record (a cut-off row, a bad value) does not stop the report:
    every good record is used, and the damaged one is named (``file:line``)
    in the report's notes and handed to ``on_damaged``.

    Raises:
        DataError: a file is missing, empty, of no known format or has no
            good record (naming file and line), or no run matches.
    """
    loaded = load_runs(paths, skip_damaged=True, on_damaged=on_damaged)
    records = select(loaded, run_id=run_id, project=project, group=group)
    per_file = Counter(r.origin.rsplit(":", 1)[0] for r in records)
    inputs = tuple(InputFile(p, _sha256(Path(p)), per_file[p]) for p in loaded.paths)
    kind: ScopeKind = (
        "group" if group else "project" if project else "run" if len(records) == 1 else "runs"
    )
    scope = Scope(kind=kind, run_id=run_id, project=project, group=group, inputs=inputs)
    return build_report(
        records,
        scope,
        load_notes=loaded.notes,
        generator=f"wattprint {__version__}",
        now=now,
        title=title,
        top=top,
    )


def format_for(output: Path | None, given: str | None) -> Format:
    """Return the format asked for, else the one the output's suffix implies, else ``md``.

    Raises:
        ConfigError: ``given`` is not a known format.
    """
    if given is not None:
        for fmt in FORMATS:
            if fmt == given:
                return fmt
        raise ConfigError("format", given, choices(FORMATS))
    if output is not None:
        return SUFFIXES.get(output.suffix.lower(), "md")
    return "md"


def render(report: Report, fmt: Format) -> str:
    """Return the report in ``fmt`` (the JSON form is the canonical one)."""
    if fmt == "html":
        from wattprint.report.render.html import render_html

        return render_html(report)
    if fmt == "latex":
        from wattprint.report.render.latex import render_latex

        return render_latex(report)
    if fmt == "json":
        from wattprint.report.render.jsonreport import render_json, report_to_dict

        return render_json(report_to_dict(report))
    from wattprint.report.render.markdown import render_markdown

    return render_markdown(report)

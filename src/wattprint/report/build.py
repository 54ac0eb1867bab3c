"""From files to a rendered report: what ``wattprint report`` calls.

:func:`report_from_files` reads the files, keeps the runs asked for and
builds the report (with each input file's SHA-256, so the report names
exactly what it was made from); :func:`render` writes it in one format.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal

from wattprint._version import __version__
from wattprint.errors import ConfigError, DataError, choices
from wattprint.records.folder import split_inputs
from wattprint.records.read import OnDamaged
from wattprint.records.record import RunRecord
from wattprint.report.aggregate import Aggregate
from wattprint.report.load import RepeatedRun, RunStream, load_runs, select
from wattprint.report.model import RUNS_LISTED, InputFile, Report, Scope, ScopeKind

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

    The runs are read one at a time and only the first
    :data:`~wattprint.report.model.RUNS_LISTED` are kept (the report lists them
    and counts the rest), unless a run id is asked for, CodeCarbon task files
    are given or a run is found twice: then every run is read first.
    """
    told: Counter[str] = Counter()  # told while streaming, not to be told again on a re-read
    replay: list[bool] = []

    def tell(err: DataError) -> None:
        if replay and told[str(err)] > 0:
            told[str(err)] -= 1
        elif on_damaged is not None:
            told[str(err)] += 0 if replay else 1
            on_damaged(err)

    run_files, task_files = split_inputs(paths) if paths else ([], [])
    if paths and run_id is None and not task_files:
        stream = RunStream(run_files, project=project, group=group, on_damaged=tell)
        aggregate = Aggregate(RUNS_LISTED)
        try:
            for run in stream:
                if isinstance(run, RunRecord):
                    aggregate.add(run)
                else:
                    aggregate.add_row(run)
        except RepeatedRun:
            replay.append(True)
        else:
            stream.check()
            return _report(
                aggregate, stream.paths, stream.per_file, tuple(stream.notes),
                run_id=run_id, project=project, group=group, title=title, top=top, now=now,
            )  # fmt: skip
    loaded = load_runs(paths, skip_damaged=True, on_damaged=tell)
    records = select(loaded, run_id=run_id, project=project, group=group)
    aggregate = Aggregate(RUNS_LISTED)
    for record in records:
        aggregate.add(record)
    per_file = Counter(r.origin.rsplit(":", 1)[0] for r in records)
    return _report(
        aggregate, loaded.paths, per_file, loaded.notes,
        run_id=run_id, project=project, group=group, title=title, top=top, now=now,
    )  # fmt: skip


def _report(
    aggregate: Aggregate,
    paths: tuple[str, ...],
    per_file: Mapping[str, int],
    notes: tuple[str, ...],
    *,
    run_id: str | None,
    project: str | None,
    group: str | None,
    title: str | None,
    top: int,
    now: datetime | None,
) -> Report:
    inputs = tuple(InputFile(p, _sha256(Path(p)), per_file.get(p, 0)) for p in paths)
    kind: ScopeKind = (
        "group" if group else "project" if project else "run" if aggregate.runs == 1 else "runs"
    )
    scope = Scope(kind=kind, run_id=run_id, project=project, group=group, inputs=inputs)
    return aggregate.report(
        scope,
        load_notes=notes,
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

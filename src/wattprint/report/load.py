"""Read runs from emissions.csv and JSON-lines files into :class:`RunRecord`.

Three kinds of file are read, told apart by their content, not their name:

- wattprint's JSON lines (``wattprint.run/1``, one run per line, see
  :mod:`wattprint.records.run_dict`): everything a run recorded;
- wattprint's ``emissions.csv`` (CodeCarbon's 38 columns, then wattprint's);
- CodeCarbon's own ``emissions.csv``, 3.x (38 columns) or v2.4 (31 columns):
  read as such, with what it lacks (intensity and its source, methods, start
  time, and water before 3.x) left unknown. CodeCarbon multiplies each
  component's energy by the PUE; its figures are divided by it here so that
  component energies are IT energy, as wattprint's are.

A file that is missing, empty or damaged raises :class:`DataError` naming the
file and, for a bad record, its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from wattprint.errors import DataError
from wattprint.records.run_dict import SCHEMA as RUN_SCHEMA
from wattprint.report._csv import read_csv_runs
from wattprint.report._fields import Fields, unknown_of
from wattprint.report.records import (
    COMPONENTS,
    ComponentRecord,
    HostRecord,
    IntensityRecord,
    PlaceRecord,
    RunRecord,
    SeriesPoint,
    TaskRecord,
)
from wattprint.units import BYTES_PER_GB


@dataclass(frozen=True, slots=True)
class Loaded:
    """The runs read from some files, and what a reader should know about them.

    Attributes:
        runs: one record per run, in file order, duplicates removed.
        paths: the files read, as given.
        notes: e.g. a run found in two files, and which record was kept.
    """

    runs: tuple[RunRecord, ...]
    paths: tuple[str, ...]
    notes: tuple[str, ...] = ()


def load_runs(paths: Sequence[str | Path]) -> Loaded:
    """Read every run of ``paths`` (JSON lines or emissions.csv, any mix).

    A run found more than once (the same ``run_id`` in a CSV and a JSON-lines
    file, say) is kept once: the JSON-lines record, which says more, else the
    last one read.

    Raises:
        DataError: a file is missing, unreadable, empty, not a known format,
            or has a damaged record; the message names the file and line.
    """
    if not paths:
        raise DataError("no input file given: name an emissions.csv or a JSON-lines file")
    runs: list[RunRecord] = []
    for path in paths:
        runs.extend(read_file(Path(path)))
    kept, notes = _dedupe(runs)
    return Loaded(tuple(kept), tuple(str(p) for p in paths), tuple(notes))


def read_file(path: Path) -> list[RunRecord]:
    """Read the runs of one file, telling its format from its first bytes.

    Raises:
        DataError: the file is missing, empty, damaged or of no known format.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not UTF-8 text ({err.reason})") from err
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected an emissions.csv or JSON lines")
    if text.lstrip().startswith(("{", "[")):
        return _read_jsonl(path, text)
    return read_csv_runs(path, text)


# --------------------------------------------------------------------- JSON lines


def _read_jsonl(path: Path, text: str) -> list[RunRecord]:
    runs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        origin = f"{path}:{number}"
        try:
            value = json.loads(line)
        except ValueError as err:
            raise DataError(f"{origin}: damaged line, expected one JSON object ({err})") from err
        if not isinstance(value, dict):
            raise DataError(f"{origin}: a JSON {type(value).__name__}, expected one object")
        if value.get("schema") != RUN_SCHEMA:
            raise DataError(
                f"{origin}: schema {value.get('schema')!r}, expected {RUN_SCHEMA!r} "
                "(a wattprint run written by the JSON-lines sink)"
            )
        runs.append(run_from_json(origin, value))
    return runs


def run_from_json(origin: str, data: Mapping[str, Any]) -> RunRecord:
    """Return the record of one ``wattprint.run/1`` object.

    Raises:
        DataError: a field has a value of the wrong type.
    """
    f = Fields(origin, data.get)
    m = f.sub("methodology")
    methods = {c.text("component"): c for c in m.items("components")}
    components = []
    for name in COMPONENTS:
        c = methods.get(name)
        measured = c.raw("measured") if c is not None else None
        components.append(
            ComponentRecord(
                component=name,
                it_energy_kwh=f.number(f"{name}_energy_kwh"),
                power_w=f.number(f"{name}_power_w"),
                method=c.text("method") if c is not None else None,
                measured=measured if isinstance(measured, bool) else None,
                detail=(c.text("detail") or "") if c is not None else "",
                attribution=(c.text("attribution") or "") if c is not None else "",
            )
        )
    i = m.sub("intensity")
    loc = f.sub("location")
    host = f.sub("host")
    ram_bytes = host.number("ram_total_bytes")
    units = f.number("units")
    record = RunRecord(
        origin=origin,
        format="wattprint-jsonl",
        tool=f"wattprint {f.text('wattprint_version') or '(version unknown)'}",
        run_id=f.text("run_id"),
        project=f.text("project"),
        experiment=f.text("experiment"),
        run_group=f.text("run_group"),
        status=f.text("status"),
        mode=f.text("mode"),
        started_at=f.time("started_at"),
        ended_at=f.time("ended_at"),
        duration_s=f.number("duration_s"),
        components=tuple(components),
        energy_kwh=f.number("energy_kwh"),
        emissions_kg=f.number("emissions_kg"),
        intensity=IntensityRecord(
            g_per_kwh=f.number("intensity_g_per_kwh"),
            source=i.text("source"),
            year=i.integer("year"),
            kind=i.text("kind"),
            detail=i.text("detail") or "",
        ),
        water_l=f.number("water_l"),
        pue=f.number("pue"),
        pue_source=m.text("pue_source"),
        wue_l_per_kwh=f.number("wue_l_per_kwh"),
        water_detail=m.text("water"),
        place=PlaceRecord(
            country_iso3=loc.text("country_iso3"),
            country_name=loc.text("country_name"),
            region=loc.text("region"),
            cloud_provider=loc.text("cloud_provider"),
            cloud_region=loc.text("cloud_region"),
            how=m.sub("location").text("how") or loc.text("how"),
        ),
        host=HostRecord(
            hostname=host.text("hostname"),
            os=host.text("os"),
            python_version=host.text("python_version"),
            cpu_model=host.text("cpu_model"),
            cpu_count=host.integer("cpu_count"),
            gpu_count=host.integer("gpu_count"),
            gpu_model=host.text("gpu_model"),
            ram_total_gb=ram_bytes / BYTES_PER_GB if ram_bytes is not None else None,
        ),
        tasks=tuple(_task(t) for t in f.items("tasks")),
        embodied_kg=f.number("embodied_kg"),
        embodied_detail=m.text("embodied"),
        units=units if units else None,
        unit=f.text("unit"),
        notes=_strings(m.raw("notes")),
        series=_series(f),
    )
    return replace(record, unknown=unknown_of(record))


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _task(t: Fields) -> TaskRecord:
    return TaskRecord(
        name=t.text("name") or "(unnamed)",
        duration_s=t.number("duration_s"),
        energy_kwh=t.number("energy_kwh"),
        it_energy_kwh=tuple(
            (name, value)
            for name in COMPONENTS
            if (value := t.number(f"{name}_energy_kwh")) is not None
        ),
        emissions_kg=t.number("emissions_kg"),
        intensity_g_per_kwh=t.number("intensity_g_per_kwh"),
        water_l=t.number("water_l"),
    )


def _series(f: Fields) -> tuple[SeriesPoint, ...]:
    """Read an optional ``series``: a list of ``{"elapsed_s", "<component>_power_w"...}``."""
    points = []
    for p in f.items("series"):
        elapsed = p.number("elapsed_s")
        if elapsed is None:
            elapsed = p.number("t_s")
        if elapsed is None:
            continue
        power = tuple(
            (name, value)
            for name in COMPONENTS
            if (value := p.number(f"{name}_power_w")) is not None
        )
        if power:
            points.append(SeriesPoint(elapsed, power))
    return tuple(sorted(points, key=lambda p: p.elapsed_s))


# --------------------------------------------------------------------- shared


def _rank(record: RunRecord) -> int:
    return {"wattprint-jsonl": 2, "wattprint-csv": 1}.get(record.format, 0)


def _places(origins: list[str]) -> str:
    """Return ``a.csv lines 8, 9; b.jsonl line 2`` for ``path:line`` origins."""
    by_file: dict[str, list[str]] = {}
    for origin in origins:
        path, _, line = origin.rpartition(":")
        by_file.setdefault(path, []).append(line)
    return "; ".join(
        f"{path} line{'s' if len(lines) > 1 else ''} {', '.join(lines)}"
        for path, lines in by_file.items()
    )


def _dedupe(runs: Iterable[RunRecord]) -> tuple[list[RunRecord], list[str]]:
    """Keep one record per run id: the richest format, else the last read (the latest)."""
    kept: dict[str, RunRecord] = {}
    seen: dict[str, list[str]] = {}
    order: list[str | RunRecord] = []
    for run in runs:
        if run.run_id is None:
            order.append(run)
            continue
        earlier = kept.get(run.run_id)
        if earlier is None:
            order.append(run.run_id)
        if earlier is None or _rank(run) >= _rank(earlier):
            kept[run.run_id] = run
        seen.setdefault(run.run_id, []).append(run.origin)
    notes = [
        f"run {run_id} has {len(origins)} records ({_places(origins)}); "
        f"the one at {kept[run_id].origin} is used"
        for run_id, origins in seen.items()
        if len(origins) > 1
    ]
    return [kept[item] if isinstance(item, str) else item for item in order], notes


def select(
    loaded: Loaded,
    *,
    run_id: str | None = None,
    project: str | None = None,
    group: str | None = None,
) -> tuple[RunRecord, ...]:
    """Return the runs matching every filter given (a run id may be abbreviated).

    Raises:
        DataError: no run matches, or an abbreviated run id matches several.
    """
    runs = list(loaded.runs)
    where = ", ".join(loaded.paths)
    if project is not None:
        runs = [r for r in runs if r.project == project]
        if not runs:
            found = sorted({r.project or "" for r in loaded.runs})
            raise DataError(f"no run of project {project!r} in {where}; projects found: {found}")
    if group is not None:
        runs = [r for r in runs if r.run_group == group]
        if not runs:
            found = sorted({r.run_group for r in loaded.runs if r.run_group})
            raise DataError(f"no run of group {group!r} in {where}; groups found: {found}")
    if run_id is not None:
        exact = [r for r in runs if r.run_id == run_id]
        runs = exact or [r for r in runs if r.run_id and r.run_id.startswith(run_id)]
        if not runs:
            raise DataError(f"no run with id {run_id!r} in {where}")
        if len({r.run_id for r in runs}) > 1:
            ids = ", ".join(sorted(r.run_id or "" for r in runs))
            raise DataError(f"run id {run_id!r} is ambiguous in {where}: it matches {ids}")
    if not runs:
        raise DataError(f"no run in {where}")
    return tuple(runs)

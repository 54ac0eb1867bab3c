"""Every emissions file of a folder, CodeCarbon's task files attached to their runs.

A folder where wattprint or CodeCarbon wrote holds some of: ``emissions.csv``
(wattprint's, or CodeCarbon's), the ``emissions.wattprint-N.csv`` wattprint
diverted its rows to when ``emissions.csv`` was another tool's, JSON-lines
files, and CodeCarbon's task files ``emissions_<experiment>_<run id>.csv``.
:func:`emissions_files` finds them by their content; the task files' rows
are attached to their run as its tasks (:func:`attach_tasks`), never read
as runs of their own.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from wattprint.errors import DataError
from wattprint.records.codecarbon import TASK_MARKER
from wattprint.records.columns import CORE
from wattprint.records.read import OnDamaged, read_codecarbon_tasks, read_records
from wattprint.records.record import RunRecord, TaskRecord

_SUFFIXES = (".csv", ".jsonl", ".json", ".ndjson")


def _kind(path: Path) -> str | None:
    """Return ``runs``, ``tasks`` or None (not an emissions file), from the first line."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            first = next((line for line in f if line.strip()), "")
    except OSError:
        return None
    if first.lstrip().startswith("{"):
        return "runs" if '"schema"' in first and "wattprint.run/" in first else None
    try:
        header = [h.strip() for h in next(csv.reader([first]))]
    except (csv.Error, StopIteration):
        return None
    if not all(c in header for c in CORE):
        return None
    return "tasks" if TASK_MARKER in header else "runs"


def emissions_files(directory: Path) -> tuple[list[Path], list[Path]]:
    """Return the run files and the CodeCarbon task files of ``directory``, sorted by name.

    Files that are neither (another CSV, a README) are left out.

    Raises:
        DataError: ``directory`` cannot be listed.
    """
    try:
        candidates = sorted(p for p in directory.iterdir() if p.suffix in _SUFFIXES)
    except OSError as err:
        raise DataError(f"{directory}: cannot be listed ({err.strerror or err})") from err
    runs, tasks = [], []
    for path in candidates:
        kind = _kind(path) if path.is_file() else None
        if kind == "runs":
            runs.append(path)
        elif kind == "tasks":
            tasks.append(path)
    return runs, tasks


def split_inputs(paths: Sequence[str | Path]) -> tuple[list[Path], list[Path]]:
    """Return the run files and task files named by ``paths`` (folders expanded).

    Raises:
        DataError: a folder holds no emissions file, or cannot be listed.
    """
    runs: list[Path] = []
    tasks: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found_runs, found_tasks = emissions_files(path)
            if not found_runs and not found_tasks:
                raise DataError(
                    f"{path}: no emissions file in this folder (wattprint's or CodeCarbon's "
                    "emissions.csv, or JSON lines)"
                )
            runs += found_runs
            tasks += found_tasks
        elif _kind(path) == "tasks":
            tasks.append(path)
        else:
            runs.append(path)
    return runs, tasks


def read_task_files(
    paths: Iterable[Path], on_damaged: OnDamaged | None = None
) -> dict[str, list[TaskRecord]]:
    """Return the tasks of CodeCarbon's task files, by run id, in file order."""
    tasks: dict[str, list[TaskRecord]] = {}
    for path in paths:
        for run_id, task in read_codecarbon_tasks(path, on_damaged=on_damaged):
            tasks.setdefault(run_id or "", []).append(task)
    return tasks


def attach_tasks(
    runs: Sequence[RunRecord], tasks: dict[str, list[TaskRecord]]
) -> tuple[list[RunRecord], list[str]]:
    """Give each run the tasks of its run id; return the runs and notes on tasks left over.

    A task's component energies (CodeCarbon's, PUE included) are divided by
    the run's PUE. A run that already has tasks (a JSON-lines record) keeps them.
    """
    out = []
    for run in runs:
        found = tasks.get(run.run_id or "") if run.run_id else None
        if not found or run.tasks:
            out.append(run)
            continue
        divisor = run.pue or 1.0
        fixed = tuple(
            replace(t, it_energy_kwh=tuple((c, v / divisor) for c, v in t.it_energy_kwh))
            for t in found
        )
        note = f"{len(fixed)} task(s) read from CodeCarbon's task file of this run"
        out.append(replace(run, tasks=fixed, notes=(*run.notes, note)))
    known = {r.run_id for r in runs}
    notes = [
        f"{len(found)} task(s) of run {run_id or '(no id)'} have no run in the files read; "
        "they are left out (read the emissions.csv with that run too)"
        for run_id, found in tasks.items()
        if run_id not in known
    ]
    return out, notes


@dataclass(frozen=True, slots=True)
class Folder:
    """The runs of a folder, with their tasks.

    Attributes:
        runs: every run of every emissions file, in file order.
        files: the files read (runs, then tasks).
        notes: tasks without their run.
    """

    runs: tuple[RunRecord, ...]
    files: tuple[Path, ...]
    notes: tuple[str, ...]


def read_folder(directory: Path, *, on_damaged: OnDamaged | None = None) -> Folder:
    """Read every emissions file of ``directory``, CodeCarbon's task files as tasks.

    Runs are not deduplicated here (see :func:`wattprint.report.load.load_runs`).

    Raises:
        DataError: a file cannot be read, or (without ``on_damaged``) a damaged record.
    """
    run_files, task_files = split_inputs([directory])
    runs = [r for path in run_files for r in read_records(path, on_damaged=on_damaged)]
    attached, notes = attach_tasks(runs, read_task_files(task_files, on_damaged))
    return Folder(tuple(attached), (*run_files, *task_files), tuple(notes))

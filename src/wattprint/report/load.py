"""Gather the runs of several files into one list, one record per run, and filter them.

Reading each file is :func:`wattprint.records.read.read_records`' work (wattprint's
JSON lines and emissions.csv, CodeCarbon's 3.x and 2.4 files); here the runs of
every file are put together, a run found in several files is kept once, and
the report's filters pick runs out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from wattprint.errors import DataError
from wattprint.records.folder import attach_tasks, read_task_files, split_inputs
from wattprint.records.read import OnDamaged, read_records, read_runs
from wattprint.records.record import RunRecord
from wattprint.records.rows import RunRow


@dataclass(frozen=True, slots=True)
class Loaded:
    """The runs read from some files, and what a reader should know about them.

    Attributes:
        runs: one record per run, in file order, duplicates removed.
        paths: the files read, as given.
        notes: e.g. a run found in two files, and which record was kept, or
            a damaged line that was skipped.
    """

    runs: tuple[RunRecord, ...]
    paths: tuple[str, ...]
    notes: tuple[str, ...] = ()


def load_runs(
    paths: Sequence[str | Path],
    *,
    skip_damaged: bool = False,
    on_damaged: OnDamaged | None = None,
) -> Loaded:
    """Read every run of ``paths`` (JSON lines or emissions.csv, any mix, or folders).

    A folder stands for every emissions file in it; CodeCarbon's task files
    (``emissions_<experiment>_<run id>.csv``) give their run its tasks.

    A run found more than once (the same ``run_id`` in a CSV and a JSON-lines
    file, say) is kept once: the JSON-lines record, which says more, else the
    last one read.

    Args:
        paths: the files.
        skip_damaged: skip damaged records, each named (``file:line``) in
            the notes, and read every good one; otherwise the first raises.
        on_damaged: also told of each damaged record skipped.

    Raises:
        DataError: a file is missing, unreadable, empty, not a known format,
            has no good record, or (without ``skip_damaged``) has a damaged
            record; the message names the file and line.
    """
    if not paths:
        raise DataError("no input file given: name an emissions.csv or a JSON-lines file")
    run_files, task_files = split_inputs(paths)
    runs: list[RunRecord] = []
    skipped: list[str] = []
    for path in run_files:
        first_damaged: list[DataError] = []

        def note(err: DataError, first: list[DataError] = first_damaged) -> None:
            first.append(err)
            skipped.append(f"skipped a damaged record: {err}")
            if on_damaged is not None:
                on_damaged(err)

        read = list(read_records(Path(path), on_damaged=note if skip_damaged else None))
        if not read and first_damaged:
            raise first_damaged[0]
        runs.extend(read)
    kept, notes = _dedupe(runs)
    tasks = read_task_files(task_files, on_damaged if skip_damaged else None)
    kept, task_notes = attach_tasks(kept, tasks)
    files = tuple(str(p) for p in (*run_files, *task_files))
    return Loaded(tuple(kept), files, (*skipped, *notes, *task_notes))


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


class RepeatedRun(Exception):
    """A run id was read twice: the runs must be read together to keep one record of it."""


class RunStream:
    """The runs of some files that match the filters, read one at a time and not kept.

    Each run is a record, or a row of wattprint's CSV
    (:func:`~wattprint.records.read.read_runs`). Iterate once; then
    :meth:`check` raises what :func:`select` would when no run matches. A
    run id found twice raises :class:`RepeatedRun` while iterating (which
    record to keep is known only once every file is read: :func:`load_runs`
    and :func:`select` then do the work).

    Args:
        run_files: the emissions files (not CodeCarbon's task files).
        project: keep the runs of this project only.
        group: keep the runs of this run group only.
        on_damaged: told of each damaged record, which is skipped.
    """

    def __init__(
        self,
        run_files: Sequence[str | Path],
        *,
        project: str | None = None,
        group: str | None = None,
        on_damaged: OnDamaged | None = None,
    ) -> None:
        self.paths = tuple(str(p) for p in run_files)
        self.notes: list[str] = []
        self.per_file: dict[str, int] = dict.fromkeys(self.paths, 0)
        self.count = 0
        self._project = project
        self._group = group
        self._on_damaged = on_damaged
        self._of_project = 0
        self._projects: set[str] = set()
        self._groups: set[str] = set()

    def __iter__(self) -> Iterator[RunRecord | RunRow]:
        seen: set[str] = set()
        project, group = self._project, self._group
        for path in self.paths:
            first_damaged: list[DataError] = []

            def note(err: DataError, first: list[DataError] = first_damaged) -> None:
                first.append(err)
                self.notes.append(f"skipped a damaged record: {err}")
                if self._on_damaged is not None:
                    self._on_damaged(err)

            read = of_project = count = 0
            add_project, add_group, add_seen = self._projects.add, self._groups.add, seen.add
            try:
                for run in read_runs(Path(path), on_damaged=note):
                    read += 1
                    run_id = run.run_id
                    if run_id is not None:
                        if run_id in seen:
                            raise RepeatedRun(run_id)
                        add_seen(run_id)
                    add_project(run.project or "")
                    if run.run_group:
                        add_group(run.run_group)
                    if project is not None and run.project != project:
                        continue
                    of_project += 1
                    if group is not None and run.run_group != group:
                        continue
                    count += 1
                    yield run
            finally:  # counted here, and told once the file is read
                self._of_project += of_project
                self.count += count
                self.per_file[path] += count
            if not read and first_damaged:
                raise first_damaged[0]

    def check(self) -> None:
        """Raise what :func:`select` raises when no run matched.

        Raises:
            DataError: no run of the project, of the group, or at all.
        """
        where = ", ".join(self.paths)
        if self._project is not None and not self._of_project:
            found = sorted(self._projects)
            raise DataError(
                f"no run of project {self._project!r} in {where}; projects found: {found}"
            )
        if self._group is not None and not self.count:
            found = sorted(self._groups)
            raise DataError(f"no run of group {self._group!r} in {where}; groups found: {found}")
        if not self.count:
            raise DataError(f"no run in {where}")

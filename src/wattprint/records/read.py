"""Read runs back from any file wattprint or CodeCarbon writes, streamed line by line.

Three kinds of file are told apart by their content, not their name:

- wattprint's JSON lines (``wattprint.run/1``, one run per line);
- wattprint's ``emissions.csv`` (CodeCarbon's 38 columns, then wattprint's);
- CodeCarbon's own ``emissions.csv``, 3.x (38 columns) or 2.4 (31 columns),
  read as such, with what it lacks left unknown.

CodeCarbon's task file (``emissions_<experiment>_<run id>.csv``, a
``task_name`` column first) holds tasks of a run, not runs:
:func:`read_codecarbon_tasks` reads it, and :mod:`wattprint.records.folder`
attaches its tasks to their run.

Files are read one line at a time and each run is yielded as soon as it is
read, so a file of any size takes the memory of one line. A damaged record
(a cut-off row, a value of the wrong type, a line that is not UTF-8) raises
:class:`DataError` naming ``file:line``, or, when the caller passes
``on_damaged``, is handed to it and skipped, so every good record is still read.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

from wattprint._log import logger
from wattprint.errors import DataError
from wattprint.records.codecarbon import TASK_MARKER, codecarbon_record, codecarbon_task
from wattprint.records.columns import CORE, MARKER, row_converter
from wattprint.records.csv_form import wattprint_record
from wattprint.records.fields import Fields
from wattprint.records.jsonl_form import json_record
from wattprint.records.lines import Lines, plain_row
from wattprint.records.lines import OnDamaged as OnDamaged  # told of damaged records
from wattprint.records.record import RunRecord, TaskRecord
from wattprint.records.rows import RunRow, row_reader
from wattprint.records.run_dict import SCHEMA

_T = TypeVar("_T")
_Convert = Callable[[Sequence[str], str], dict[str, object]]
_Make = Callable[[list[str], str], _T]
"""Makes what a row of a CSV file is read into, from its cells and origin (``path:line``)."""
_Maker = Callable[[Path, list[str], _Convert], _Make[_T]]
"""Returns how the rows of a CSV file with this header are read (or raises DataError)."""


def _raise(err: DataError) -> None:
    raise err


class _Converted(Fields):
    """The fields of a CSV row already converted by their columns' converters.

    A value the converter made a float or a string is returned as is (it was
    checked once, when the row was read); any other goes the general way.
    """

    def __init__(self, origin: str, values: dict[str, object]) -> None:
        super().__init__(origin, values.get)
        self._values = values

    def number(self, key: str) -> float | None:
        """Return ``key`` as a float; None when absent or empty."""
        value = self._values.get(key)
        if value is None or type(value) is float:
            return value
        return super().number(key)

    def text(self, key: str) -> str | None:
        """Return ``key`` as a string; None when absent or empty."""
        value = self._values.get(key)
        if value is None or type(value) is str:
            return value
        return super().text(key)


def read_records(path: Path, *, on_damaged: OnDamaged | None = None) -> Iterator[RunRecord]:
    """Yield the runs of one file, in file order, telling its format from its first line.

    Args:
        path: an emissions.csv (wattprint's or CodeCarbon's) or a JSON-lines file.
        on_damaged: called with each damaged record's error, which is then
            skipped; without it the first damaged record raises.

    Raises:
        DataError: the file is missing, unreadable, empty or of no known
            format, or (without ``on_damaged``) has a damaged record; the
            message names the file and, for a record, its line.
    """
    return cast("Iterator[RunRecord]", _read(path, on_damaged, _run_maker))


def read_runs(path: Path, *, on_damaged: OnDamaged | None = None) -> Iterator[RunRecord | RunRow]:
    """Yield the runs of one file as :func:`read_records` does; wattprint CSV rows as RunRows.

    A :class:`~wattprint.records.rows.RunRow` carries the figures that
    differ from run to run and a key for the rest, and builds its whole
    record when asked (:meth:`~wattprint.records.rows.RunRow.record`): a
    report counts most runs of a large file without building their records.
    The same rows are damaged, with the same errors, as for :func:`read_records`.

    Raises:
        DataError: as :func:`read_records`.
    """
    return _read(path, on_damaged, _row_maker)


def _read(
    path: Path, on_damaged: OnDamaged | None, maker: _Maker[RunRecord | RunRow]
) -> Iterator[RunRecord | RunRow]:
    damaged = on_damaged or _raise
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, around the generator's life
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    with f:
        lines = Lines(path, f, damaged)
        try:
            first = _first_line(path, lines)
            if first.lstrip().startswith(("{", "[")):
                lines.push_back(lines.taken[-1:])
                yield from _jsonl_records(path, lines, damaged)
            else:
                yield from _csv_records(path, lines, damaged, maker)
        except OSError as err:
            raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err


def _first_line(path: Path, lines: Lines) -> str:
    for first in lines:
        if first.strip():
            return first
    raise DataError(f"{path}: the file is empty; expected an emissions.csv or JSON lines")


def _run_maker(path: Path, header: list[str], convert: _Convert) -> _Make[RunRecord]:
    """Return how a row of this CSV file becomes a run record."""
    if MARKER in header:
        return lambda cells, origin: wattprint_record(_Converted(origin, convert(cells, origin)))
    if TASK_MARKER in header:
        raise DataError(
            f"{path}: a CodeCarbon task file (its rows are tasks of a run, not runs): read "
            "the folder that holds it with its emissions.csv, e.g. wattprint report DIR"
        )
    columns = len(header)
    return lambda cells, origin: codecarbon_record(
        _Converted(origin, convert(cells, origin)), columns
    )


def _row_maker(path: Path, header: list[str], convert: _Convert) -> _Make[RunRecord | RunRow]:
    """Return how a row of this CSV file becomes a RunRow (wattprint's CSV) or a run record."""
    make = _run_maker(path, header, convert)
    if MARKER in header and len(set(header)) == len(header):
        return row_reader(header, make)
    return make


def read_codecarbon_tasks(
    path: Path, *, on_damaged: OnDamaged | None = None
) -> Iterator[tuple[str | None, TaskRecord]]:
    """Yield ``(run id, task)`` for each row of CodeCarbon's task file, in file order.

    CodeCarbon writes the tasks of a run to ``emissions_<experiment>_<run id>.csv``
    (a ``task_name`` column, then its emissions.csv's columns less a few).

    Raises:
        DataError: the file is missing, unreadable, not a task file, or (without
            ``on_damaged``) has a damaged row; the message names the file and line.
    """
    damaged = on_damaged or _raise
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, around the generator's life
    except OSError as err:
        raise DataError(f"{path}: cannot be read ({err.strerror or err})") from err
    with f:
        lines = Lines(path, f, damaged)
        _first_line(path, lines)

        yield from _csv_records(path, lines, damaged, _task_maker)


def _task_maker(
    path: Path, header: list[str], convert: _Convert
) -> _Make[tuple[str | None, TaskRecord]]:
    """Return how a row of CodeCarbon's task file becomes ``(run id, task)``."""
    if TASK_MARKER not in header or MARKER in header:
        raise DataError(f"{path}: not a CodeCarbon task file (no {TASK_MARKER} column)")
    return lambda cells, origin: codecarbon_task(_Converted(origin, convert(cells, origin)))


def _jsonl_records(path: Path, lines: Lines, damaged: OnDamaged) -> Iterator[RunRecord]:
    for text in lines:
        number = lines.taken[-1][0]
        lines.taken.clear()
        if not text.strip() or number in lines.bad:
            continue
        origin = f"{path}:{number}"
        try:
            value = json.loads(text)
        except ValueError as err:
            damaged(DataError(f"{origin}: damaged line, expected one JSON object ({err})"))
            continue
        if not isinstance(value, dict):
            damaged(DataError(f"{origin}: a JSON {type(value).__name__}, expected one object"))
            continue
        if value.get("schema") != SCHEMA:
            damaged(
                DataError(
                    f"{origin}: schema {value.get('schema')!r}, expected {SCHEMA!r} "
                    "(a wattprint run written by the JSON-lines sink)"
                )
            )
            continue
        try:
            record = json_record(origin, value)
        except DataError as err:
            damaged(err)
            continue
        yield record


def _csv_records(path: Path, lines: Lines, damaged: OnDamaged, maker: _Maker[_T]) -> Iterator[_T]:
    try:
        header = [h.strip() for h in next(csv.reader([lines.taken[-1][1]]))]
    except csv.Error as err:
        raise DataError(f"{path}:{lines.taken[-1][0]}: damaged CSV header ({err})") from err
    missing = [c for c in CORE if c not in header]
    if missing:
        raise DataError(
            f"{path}:{lines.taken[-1][0]}: not an emissions.csv: the header lacks "
            f"{', '.join(missing)} (expected wattprint's or CodeCarbon's columns, or JSON lines)"
        )
    make = maker(path, header, row_converter(header))
    fields = len(header)
    at = f"{path}:"
    taken = lines.taken
    reader = csv.reader(lines)
    longest = csv.field_size_limit()
    while True:
        taken.clear()
        try:
            line = next(lines)
        except StopIteration:
            return
        row = plain_row(line, longest)
        if row is None:
            lines.push_back(taken[:])  # the csv module's work
            taken.clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                origin = f"{at}{taken[0][0]}" if taken else str(path)
                lines.push_back(taken[1:])
                damaged(DataError(f"{origin}: damaged CSV ({err})"))
                continue
        if not (row and (row[0].strip() or "".join(row).strip())):
            continue  # no cell holds anything but white space
        origin = f"{at}{taken[0][0]}"
        if lines.bad and any(number in lines.bad for number, _ in taken):
            continue  # already reported as not UTF-8
        if len(row) != fields:
            lines.push_back(taken[1:])  # a cut-off row may have swallowed the lines after it
            damaged(
                DataError(
                    f"{origin}: the row has {len(row)} fields, the header {fields} "
                    "(a damaged or cut-off row)"
                )
            )
            continue
        try:
            record = make(row, origin)
        except DataError as err:
            damaged(err)
            continue
        yield record


def read_jsonl(
    path: str | os.PathLike[str], *, skip_damaged: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield the objects of a JSON lines file, in file order; blank lines are ignored.

    Args:
        path: the file.
        skip_damaged: skip lines that are not a JSON object (one warning
            at the end gives their count and the first line number)
            instead of raising.

    Raises:
        DataError: a line is not a JSON object (and ``skip_damaged`` is False);
            the message names the file and the line number.
        OSError: the file cannot be read.
    """
    path = Path(path)
    damaged: list[int] = []
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
                if not isinstance(value, dict):
                    raise ValueError(f"a JSON {type(value).__name__}, not an object")
            except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
                if not skip_damaged:
                    snippet = raw[:60].decode("utf-8", "replace").rstrip()
                    raise DataError(
                        f"{path}:{number}: damaged line, expected one JSON object "
                        f"({err}): {snippet!r}"
                    ) from err
                damaged.append(number)
                continue
            yield value
    if damaged:
        logger.warning(
            "wattprint: skipped %s damaged line(s) of %s (the first at line %s)",
            len(damaged),
            path,
            damaged[0],
        )

"""Recover the runs of processes that were killed before they could stop.

See :mod:`wattprint.tracking.journal`. A recovered run keeps the figures of its last
checkpoint, is marked ``crashed``, and is written to the file outputs its
tracker had, unless they already hold its run id.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from wattprint._log import logger
from wattprint.errors import DataError
from wattprint.tracking.journal import (
    JOURNAL_DIR,
    JournalEntry,
    read_journals,
    remove_stale_temporaries,
)

if TYPE_CHECKING:  # the record's machinery loads only when there is a run to recover
    from wattprint.results import RunResult
    from wattprint.sinks.base import Sink


def _file_sink(name: str, path: Path) -> Sink | None:
    if name == "csv":
        from wattprint.sinks.csv_file import CsvSink

        return CsvSink(path)
    if name == "jsonl":
        from wattprint.sinks.jsonl import JsonLinesSink

        return JsonLinesSink(path)
    return None


def _holds(path: Path, run_id: str) -> bool:
    """Tell whether an output file (or a file written beside it) already has the run."""
    from wattprint.records.read import read_records

    candidates = [path, *path.parent.glob(f"{path.stem}.wattprint-*{path.suffix}")]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        try:  # streamed; a damaged record is no proof the run was written
            if any(r.run_id == run_id for r in read_records(candidate, on_damaged=_ignore)):
                return True
        except DataError:
            continue
    return False


def _ignore(err: DataError) -> None:
    """Skip a damaged record without a word: recovery only looks for a run id."""


@contextmanager
def _claimed(path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on a journal; yield False if another recovery holds it or it is gone.

    Two recoveries racing over one directory (two runs starting at once, or
    ``wattprint recover`` beside a starting run) would otherwise both find the
    row missing and both write it.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield path.exists()  # the winner of an earlier race removed it: nothing left to do
    finally:
        os.close(fd)


def _recover_one(entry: JournalEntry) -> RunResult | None:
    """Write one killed run to its outputs as ``crashed``; return it, or None if it failed."""
    from wattprint.records.run_dict import run_from_dict

    data = dict(entry.result)
    data["status"] = "crashed"
    try:
        result = run_from_dict(data)
    except DataError as err:
        logger.warning("wattprint: cannot recover %s: %s", entry.path, err)
        return None
    written = True
    for name, raw_path in entry.outputs:
        path = Path(raw_path)
        sink = _file_sink(name, path)
        if sink is None or _holds(path, entry.run_id):
            continue
        try:
            sink.write(result)
        except Exception as err:  # an output must not stop the other recoveries
            written = False
            logger.warning(
                "wattprint: recovering run %s into %s failed: %s", entry.run_id, path, err
            )
    if not written:
        return None
    entry.path.unlink(missing_ok=True)
    logger.warning(
        "wattprint: recovered run %s (process %s was killed) as 'crashed', with "
        "%.6f kWh measured up to its last checkpoint",
        entry.run_id,
        entry.pid,
        result.energy_kwh,
    )
    return result


def recover(directory: Path) -> list[RunResult]:
    """Recover every run in ``directory`` whose process is gone; return them.

    Never raises for a damaged journal or an output that cannot be written:
    each is logged, and the journal is kept so a later try can succeed.
    """
    recovered: list[RunResult] = []
    remove_stale_temporaries(directory / JOURNAL_DIR)
    for entry in read_journals(directory / JOURNAL_DIR):
        if entry.process_is_alive():
            continue
        with _claimed(entry.path) as claimed:
            if claimed:  # another process may be recovering it: only one writes the row
                result = _recover_one(entry)
                if result is not None:
                    recovered.append(result)
    return recovered

"""Checkpoints of a running run, so that a killed process still leaves its figures.

While a run goes on, the tracker writes its figures so far every
``checkpoint_s`` seconds to a small JSON journal in ``<output_dir>/.wattprint/``
(atomically: a temporary file renamed over the old one). A normal stop writes
the outputs, then removes the journal. A journal whose process is gone (killed
by SIGKILL, the OOM killer, a power cut) is recovered as a ``crashed`` run by
the next tracker started in that directory, or by ``wattprint recover``:
written to the same outputs, unless a row with its run id is already there,
so nothing is ever counted twice.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wattprint._record import NamedTuple
from wattprint.tracking.groups import host_name

JOURNAL_DIR = ".wattprint"
SUFFIX = ".journal.json"


def _procfs_start(pid: int) -> float | None:
    """Return when ``pid`` started (epoch s) from procfs, as psutil computes it; None if gone.

    Its 22nd ``stat`` field (clock ticks after boot) over the tick rate, plus
    the boot time (``btime`` in ``/proc/stat``).

    Raises:
        OSError: procfs cannot be read here (not Linux).
        ValueError: a file is not as procfs writes it.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    ticks = int(raw[raw.rindex(b")") + 2 :].split()[19])
    with open("/proc/stat", "rb") as f:
        for line in f:
            if line.startswith(b"btime "):
                return int(line.split()[1]) + ticks / os.sysconf("SC_CLK_TCK")
    raise ValueError("no btime in /proc/stat")


def _process_start(pid: int) -> float | None:
    """Return when process ``pid`` started (epoch s), or None if it does not exist."""
    if os.path.isdir("/proc/self"):
        try:
            return _procfs_start(pid)
        except (OSError, ValueError, IndexError):
            pass
    import psutil  # no procfs here

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.Error, OSError):
        return None


class JournalEntry(NamedTuple):  # a named tuple: cheaper to define than a dataclass
    """A journal found on disk.

    Attributes:
        path: the journal file.
        run_id: the run it checkpoints.
        pid: the process that wrote it.
        host: the host name of that process.
        process_start_s: when that process started (epoch). Units: s.
        written_at_s: when the checkpoint was written (epoch). Units: s.
        result: the run so far, in :func:`wattprint.records.run_dict.run_to_dict` form.
        outputs: ``(sink name, path)`` of the file outputs to recover it into.
    """

    path: Path
    run_id: str
    pid: int
    host: str
    process_start_s: float
    written_at_s: float
    result: dict[str, Any]
    outputs: tuple[tuple[str, str], ...]

    def process_is_alive(self) -> bool:
        """Tell whether the process that wrote the journal still runs (same host only)."""
        if self.host != host_name():
            return True  # another host's process: it cannot be checked from here
        started = _process_start(self.pid)
        return started is not None and abs(started - self.process_start_s) < 1.0


class Journal:
    """The journal of one run.

    Args:
        directory: where journals go (``<output_dir>/.wattprint``).
        run_id: the run's id.
        outputs: ``(sink name, path)`` of the file outputs, for recovery.
    """

    def __init__(self, directory: Path, run_id: str, outputs: tuple[tuple[str, str], ...]) -> None:
        self.directory = directory
        self.path = directory / f"{run_id}{SUFFIX}"
        self.run_id = run_id
        self.outputs = outputs
        self._pid = os.getpid()
        self._start = _process_start(self._pid) or time.time()
        self._host = host_name()

    def write(self, result: dict[str, Any]) -> None:
        """Write the run so far, atomically.

        Raises:
            OSError: the directory cannot be written.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        record = {
            "run_id": self.run_id,
            "pid": self._pid,
            "host": self._host,
            "process_start_s": self._start,
            "written_at_s": time.time(),
            "outputs": [list(o) for o in self.outputs],
            "result": result,
        }
        tmp = self.path.with_name(f".{self.path.name}.{self._pid}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(record, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:  # a full disk or a kill: leave no temporary file behind
            try:
                tmp.unlink()
            except OSError:
                pass
            raise

    def remove(self) -> None:
        """Remove the journal (after the outputs were written), and its folder if empty."""
        try:
            self.path.unlink()
        except OSError:  # gone with its directory: nothing left to recover
            pass
        try:
            self.directory.rmdir()
        except OSError:  # other runs' journals are still there
            pass


def read_journals(directory: Path) -> Iterator[JournalEntry]:
    """Yield the readable journals in ``directory`` (damaged ones are skipped)."""
    try:
        paths = sorted(directory.glob(f"*{SUFFIX}"))
    except OSError:
        return
    for path in paths:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            yield JournalEntry(
                path=path,
                run_id=str(raw["run_id"]),
                pid=int(raw["pid"]),
                host=str(raw["host"]),
                process_start_s=float(raw["process_start_s"]),
                written_at_s=float(raw["written_at_s"]),
                result=dict(raw["result"]),
                outputs=tuple((str(n), str(p)) for n, p in raw.get("outputs", ())),
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue


def remove_stale_temporaries(directory: Path) -> int:
    """Remove temporary journal files left by processes that were killed mid-write.

    A journal is written to ``.<name>.<pid>.tmp`` and renamed into place; a
    kill between the two leaves the temporary file. Those whose process is
    gone are removed; returns how many.
    """
    removed = 0
    try:
        paths = list(directory.glob(f".*{SUFFIX}.*.tmp"))
    except OSError:
        return 0
    for path in paths:
        try:
            pid = int(path.name.rsplit(".", 2)[-2])
        except (ValueError, IndexError):
            continue
        if pid != os.getpid() and _process_start(pid) is None:
            try:
                path.unlink()
                removed += 1
            except OSError:
                continue
    return removed

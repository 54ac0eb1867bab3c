"""CodeCarbon's result objects, built from wattprint's results.

:class:`EmissionsData` has the 38 fields of CodeCarbon 3.3.2's
``codecarbon.output_methods.emissions_data.EmissionsData`` (the columns of
its emissions.csv, in its order), with CodeCarbon's units: seconds, kg CO2e,
W, kWh, litres, GB. A run's object holds the values of the row wattprint
writes for it, so ``stop()``'s float is the row's ``emissions``. A task's
holds the task's figures and the run's place and host, as CodeCarbon's
``stop_task()`` returns them; :func:`write_task_file` writes the tasks the way
CodeCarbon does, to ``emissions_<experiment>_<run id>.csv``.
"""

from __future__ import annotations

import csv
import enum
import json
import os
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

from wattprint.records.columns import CODECARBON_COLUMNS, convert_row
from wattprint.records.csv_form import row_of
from wattprint.results import RunResult, TaskResult


class OutputMethod(str, enum.Enum):
    """Where CodeCarbon sends its data (``EmissionsTracker(output_methods=[...])``).

    ``CSV`` is wattprint's CSV file, ``LOGGER`` its logger sink and
    ``PROMETHEUS`` its Pushgateway push; ``API`` goes to the team server where
    this wattprint has one; ``LOGFIRE`` and ``BOAMPS`` are named in a warning.
    """

    CSV = "csv"
    API = "api"
    LOGGER = "logger"
    PROMETHEUS = "prometheus"
    LOGFIRE = "logfire"
    BOAMPS = "boamps"


@dataclass
class EmissionsData:
    """A run's (or a task's) figures, as CodeCarbon's ``EmissionsData``.

    Units: ``duration`` s, ``emissions`` kg CO2e, ``emissions_rate`` kg/s,
    ``*_power`` W, ``*_energy`` and ``energy_consumed`` kWh,
    ``water_consumed`` L, ``ram_total_size`` and ``ram_used_gb`` GB,
    ``wue`` L/kWh. Unlike CodeCarbon's, wattprint's component energies are IT
    energy (before the PUE); ``energy_consumed`` includes the PUE in both.
    """

    timestamp: str
    project_name: str
    run_id: str
    experiment_id: str
    duration: float
    emissions: float
    emissions_rate: float
    cpu_power: float
    gpu_power: float
    ram_power: float
    cpu_energy: float
    gpu_energy: float
    ram_energy: float
    energy_consumed: float
    water_consumed: float
    country_name: str
    country_iso_code: str
    region: str
    cloud_provider: str
    cloud_region: str
    os: str
    python_version: str
    codecarbon_version: str
    cpu_count: float
    cpu_model: str
    gpu_count: float
    gpu_model: str
    longitude: float
    latitude: float
    ram_total_size: float
    tracking_mode: str
    cpu_utilization_percent: float = 0.0
    gpu_utilization_percent: float = 0.0
    ram_utilization_percent: float = 0.0
    ram_used_gb: float = 0.0
    on_cloud: str = "N"
    pue: float = 1
    wue: float = 0

    @property
    def values(self) -> OrderedDict[str, object]:
        """Return the fields in CodeCarbon's order."""
        return OrderedDict((f.name, getattr(self, f.name)) for f in fields(self))

    def toJSON(self) -> str:  # noqa: N802 - CodeCarbon's name
        """Return the fields as JSON, as CodeCarbon's ``toJSON`` does."""
        return json.dumps(dict(self.values), sort_keys=True, indent=4)


_TEXT = {f.name for f in fields(EmissionsData) if f.type in ("str", str)}


def emissions_data_of(result: RunResult) -> EmissionsData:
    """Return the ``EmissionsData`` of ``result``, with the values of its CSV row."""
    row = row_of(result)
    names = list(CODECARBON_COLUMNS)
    typed = convert_row(names, [row[n] for n in names], f"run {result.run_id}")
    values = {
        n: (typed[n] if typed[n] is not None else ("" if n in _TEXT else 0.0)) for n in names
    }
    return EmissionsData(**values)  # type: ignore[arg-type]


def task_emissions_data(task: TaskResult, run: EmissionsData) -> EmissionsData:
    """Return the ``EmissionsData`` of ``task``: its figures, the run's place and host."""
    return replace(
        run,
        timestamp=task.ended_at.isoformat(timespec="seconds"),
        duration=task.duration_s,
        emissions=task.emissions_kg,
        emissions_rate=task.emissions_rate_kg_per_s,
        cpu_power=task.cpu_power_w,
        gpu_power=task.gpu_power_w,
        ram_power=task.ram_power_w,
        cpu_energy=task.cpu_energy_kwh,
        gpu_energy=task.gpu_energy_kwh,
        ram_energy=task.ram_energy_kwh,
        energy_consumed=task.energy_kwh,
        water_consumed=task.water_l,
        cpu_utilization_percent=round(task.cpu_utilization_percent, 2),
    )


TASK_COLUMNS: tuple[str, ...] = (
    "task_name", *(n for n in CODECARBON_COLUMNS if n not in ("experiment_id", "pue", "wue")),
)
"""The columns of CodeCarbon's task file (its ``TaskEmissionsData``), in its order."""


def task_file_name(experiment: str, run_id: str) -> str:
    """Return CodeCarbon's task file name, ``emissions_<experiment>_<run id>.csv``."""
    return f"emissions_{experiment}_{run_id}.csv"


def write_task_file(
    directory: Path, experiment: str, tasks: Sequence[tuple[str, EmissionsData]]
) -> Path | None:
    """Write ``tasks`` (name, figures) as CodeCarbon's task file; return its path.

    The file is replaced whole (written aside, then renamed), as CodeCarbon
    rewrites it at each ``flush()`` and ``stop()``. Nothing is written
    without tasks.

    Raises:
        OSError: the file cannot be written.
    """
    if not tasks:
        return None
    path = directory / task_file_name(experiment, tasks[0][1].run_id)
    directory.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(partial, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(TASK_COLUMNS)
        for name, data in tasks:
            values = {"task_name": name, **data.values}
            writer.writerow(["" if values[c] is None else values[c] for c in TASK_COLUMNS])
    os.replace(partial, path)
    return path

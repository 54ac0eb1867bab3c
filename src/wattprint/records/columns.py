"""The emissions.csv columns: CodeCarbon's 38 in CodeCarbon's order, then wattprint's.

This table is the one place a column is named. Each column says what it
means, its unit, which CodeCarbon file versions have it, and the converter
its text goes through when a file is read back (one converter per column).
CodeCarbon 3.x writes the 38 columns marked ``"3"`` or ``"2"``; CodeCarbon
2.4 writes the 31 marked ``"2"``, in the same order. wattprint writes all
38 (``codecarbon_version`` holds wattprint's version) and then its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from wattprint.errors import DataError

Kind = Literal["text", "number", "integer", "time"]
"""How a column's text is converted: kept, a float, a whole number, an ISO 8601 time."""

Since = Literal["2", "3", ""]
"""The first CodeCarbon major version with the column; ``""`` for wattprint's own."""


@dataclass(frozen=True, slots=True)
class Column:
    """One emissions.csv column.

    Attributes:
        name: the header cell.
        meaning: what the value is, for people.
        unit: its unit (``""`` for text and counts).
        kind: the converter its text goes through when read.
        since: the first CodeCarbon version writing it; ``""`` for wattprint's columns.
    """

    name: str
    meaning: str
    unit: str
    kind: Kind
    since: Since


def _c(name: str, meaning: str, unit: str, kind: Kind, since: Since) -> Column:
    return Column(name, meaning, unit, kind, since)


TABLE: tuple[Column, ...] = (
    _c("timestamp", "end of the run, local time (CodeCarbon) or UTC", "", "time", "2"),
    _c("project_name", "project", "", "text", "2"),
    _c("run_id", "run id", "", "text", "2"),
    _c("experiment_id", "experiment", "", "text", "3"),
    _c("duration", "duration of the run", "s", "number", "2"),
    _c("emissions", "emissions", "kg CO2e", "number", "2"),
    _c("emissions_rate", "emissions per second", "kg/s", "number", "2"),
    _c("cpu_power", "mean CPU power", "W", "number", "2"),
    _c("gpu_power", "mean GPU power", "W", "number", "2"),
    _c("ram_power", "mean memory power", "W", "number", "2"),
    _c(
        "cpu_energy",
        "CPU energy x PUE (as CodeCarbon: the three sum to energy_consumed)",
        "kWh",
        "number",
        "2",
    ),
    _c("gpu_energy", "GPU energy x PUE", "kWh", "number", "2"),
    _c("ram_energy", "memory energy x PUE", "kWh", "number", "2"),
    _c("energy_consumed", "facility energy: IT energy x PUE", "kWh", "number", "2"),
    _c(
        "water_consumed",
        "on-site water, WUE x energy_consumed (CodeCarbon's meaning)",
        "L",
        "number",
        "3",
    ),
    _c("country_name", "country", "", "text", "2"),
    _c("country_iso_code", "country, ISO 3166-1 alpha-3", "", "text", "2"),
    _c("region", "region of the country", "", "text", "2"),
    _c("cloud_provider", "cloud provider", "", "text", "2"),
    _c("cloud_region", "cloud region", "", "text", "2"),
    _c("os", "operating system", "", "text", "2"),
    _c("python_version", "Python version", "", "text", "2"),
    _c("codecarbon_version", "version of the writing tool", "", "text", "2"),
    _c("cpu_count", "logical CPUs", "", "integer", "2"),
    _c("cpu_model", "CPU model", "", "text", "2"),
    _c("gpu_count", "GPUs", "", "integer", "2"),
    _c("gpu_model", "GPU models", "", "text", "2"),
    _c("longitude", "longitude", "degree", "number", "2"),
    _c("latitude", "latitude", "degree", "number", "2"),
    _c(
        "ram_total_size",
        "installed memory, in GiB (CodeCarbon's bytes / 1024^3)",
        "GiB",
        "number",
        "2",
    ),
    _c("tracking_mode", "process or machine", "", "text", "2"),
    _c("cpu_utilization_percent", "mean CPU utilisation", "%", "number", "3"),
    _c("gpu_utilization_percent", "mean GPU utilisation", "%", "number", "3"),
    _c("ram_utilization_percent", "mean memory utilisation", "%", "number", "3"),
    _c(
        "ram_used_gb",
        "mean memory in use on the machine, in GiB, in both modes (CodeCarbon's)",
        "GiB",
        "number",
        "3",
    ),
    _c("on_cloud", "Y on a cloud, else N", "", "text", "2"),
    _c("pue", "power usage effectiveness", "", "number", "2"),
    _c("wue", "on-site water per kWh of IT energy", "L/kWh", "number", "3"),
    _c("wattprint_version", "wattprint's version", "", "text", ""),
    _c("status", "completed, interrupted, crashed, budget_exceeded or running", "", "text", ""),
    _c("started_at_utc", "start of the run", "", "time", ""),
    _c("ended_at_utc", "end of the run", "", "time", ""),
    _c("cpu_method", "how the CPU energy was obtained", "", "text", ""),
    _c("gpu_method", "how the GPU energy was obtained", "", "text", ""),
    _c("ram_method", "how the memory energy was obtained", "", "text", ""),
    _c("measured_share", "share of the IT energy from hardware counters", "", "number", ""),
    _c("intensity_g_per_kwh", "mean grid intensity", "gCO2e/kWh", "number", ""),
    _c("intensity_source", "where the intensity came from", "", "text", ""),
    _c("intensity_year", "the year the intensity describes", "", "integer", ""),
    _c("location_source", "how the place was found", "", "text", ""),
    _c("run_group", "id shared by the ranks of one job", "", "text", ""),
    _c("host_name", "host name", "", "text", ""),
    _c("rank", "global rank of the process", "", "integer", ""),
    _c("local_rank", "rank on the host", "", "integer", ""),
    _c("units", "functional units of work done", "", "number", ""),
    _c("unit", "the functional unit's name", "", "text", ""),
    _c("embodied_kg", "embodied emissions share", "kg CO2e", "number", ""),
    _c("sci_g_per_unit", "software carbon intensity", "gCO2e/unit", "number", ""),
    # What the intensity counts, so figures on different bases are not compared as equals.
    _c("intensity_kind", "average or marginal", "", "text", ""),
    _c("intensity_basis", "lifecycle (gCO2e) or direct (CO2 burnt at the plants)", "", "text", ""),
    # wattprint's meanings beside CodeCarbon's, and the uncertainty ranges
    _c("wattprint_it_energy_kwh", "IT energy: CPU + GPU + memory, before PUE", "kWh", "number", ""),
    _c(
        "wattprint_water_total_l",
        "water on site (IT energy x WUE) and at the power plants (energy_consumed x grid water)",
        "L",
        "number",
        "",
    ),
    _c(
        "wattprint_ram_charged_gib",
        "mean memory charged to the run: the tree's resident memory (process mode) or "
        "all installed (machine mode)",
        "GiB",
        "number",
        "",
    ),
    _c("wattprint_energy_kwh_low", "low bound of energy_consumed", "kWh", "number", ""),
    _c("wattprint_energy_kwh_high", "high bound of energy_consumed", "kWh", "number", ""),
    _c("wattprint_emissions_kg_low", "low bound of emissions", "kg CO2e", "number", ""),
    _c("wattprint_emissions_kg_high", "high bound of emissions", "kg CO2e", "number", ""),
)
"""Every column, in the order wattprint writes them."""

CODECARBON_COLUMNS: tuple[str, ...] = tuple(c.name for c in TABLE if c.since)
"""CodeCarbon 3.x's 38 columns, in its order."""

CODECARBON_V2_COLUMNS: tuple[str, ...] = tuple(c.name for c in TABLE if c.since == "2")
"""CodeCarbon 2.4's 31 columns, in its order."""

WATTPRINT_COLUMNS: tuple[str, ...] = tuple(c.name for c in TABLE if not c.since)
"""wattprint's own columns, after CodeCarbon's."""

COLUMNS: tuple[str, ...] = CODECARBON_COLUMNS + WATTPRINT_COLUMNS
"""The header wattprint writes."""

CORE: tuple[str, ...] = (
    "timestamp", "project_name", "run_id", "duration", "emissions", "energy_consumed",
)  # fmt: skip
"""Columns every CodeCarbon emissions.csv since 2.x has (and wattprint's too)."""

MARKER = "wattprint_version"
"""The column that tells wattprint's file from CodeCarbon's."""

_BY_NAME: dict[str, Column] = {c.name: c for c in TABLE}


def _number(text: str) -> float | None:
    number = float(text)
    return number if math.isfinite(number) else None  # "nan", "inf": not a figure


def _integer(text: str) -> int | None:
    number = _number(text)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError("not a whole number")
    return int(number)


_CONVERTERS: dict[Kind, tuple[Callable[[str], object], str]] = {
    "text": (str, "text"),
    "number": (_number, "a number"),
    "integer": (_integer, "a whole number"),
    "time": (datetime.fromisoformat, "an ISO 8601 time"),
}


def row_converter(header: Sequence[str]) -> Callable[[Sequence[str], str], dict[str, object]]:
    """Return a function converting a row of a file with ``header``: one converter per column.

    The converters are looked up once per file, not once per cell; the
    function behaves as :func:`convert_row` does.
    """
    names = tuple(header)
    texts: list[str] = []
    numbers: list[str] = []
    others: list[tuple[str, Callable[[str], object], str]] = []
    for name in names:
        column = _BY_NAME.get(name)
        kind = column.kind if column is not None else "text"
        if kind == "text":
            texts.append(name)
        elif kind == "number":
            numbers.append(name)
        else:
            others.append((name, *_CONVERTERS[kind]))
    isfinite = math.isfinite

    def convert(cells: Sequence[str], origin: str) -> dict[str, object]:
        values: dict[str, object] = dict(zip(names, cells, strict=True))
        for name in texts:
            if values[name] == "":
                values[name] = None
        text: object = None
        try:
            for name in numbers:
                text = values[name]
                if text == "":
                    values[name] = None
                else:
                    number = float(text)  # type: ignore[arg-type]
                    values[name] = number if isfinite(number) else None  # nan, inf: no figure
            for name, converter, _ in others:
                text = values[name]
                values[name] = None if text == "" else converter(text)  # type: ignore[arg-type]
        except ValueError:
            wanted = next((w for n, _, w in others if n == name), "a number")
            raise DataError(f"{origin}: field {name!r} is {text!r}, expected {wanted}") from None
        return values

    return convert


def convert_row(header: Sequence[str], cells: Sequence[str], origin: str) -> dict[str, object]:
    """Return a row's values converted by their columns' converters.

    An empty cell is ``None``; a column this table does not know is kept as text.

    Raises:
        DataError: a cell does not convert; the message names ``origin``
            (``path:line``), the column, the value and what was expected.
    """
    return row_converter(header)(cells, origin)

"""Read emissions.csv files: wattprint's, and CodeCarbon's 3.x (38 columns) and v2.4 (31).

The header decides: a ``wattprint_version`` column means wattprint's file,
otherwise a file with CodeCarbon's core columns is CodeCarbon's. CodeCarbon's
component energies include its PUE (it multiplies each measurement by it), so
they are divided by the PUE here to give IT energy; its intensity is not
recorded, only implied by its emissions over its energy.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

from wattprint.errors import DataError
from wattprint.report._fields import Fields, ram_gb_from_gib, unknown_of
from wattprint.report.records import (
    COMPONENTS,
    ComponentRecord,
    HostRecord,
    IntensityRecord,
    PlaceRecord,
    RunRecord,
)

_CORE = ("timestamp", "project_name", "run_id", "duration", "emissions", "energy_consumed")
"""Columns every CodeCarbon emissions.csv since 2.x has (and wattprint's too)."""


def read_csv_runs(path: Path, text: str) -> list[RunRecord]:
    """Return the runs of an emissions.csv held in ``text``.

    Raises:
        DataError: the header is not an emissions.csv's, or a row is damaged;
            the message names the file and line.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
        missing = [c for c in _CORE if c not in header]
        if missing:
            raise DataError(
                f"{path}:1: not an emissions.csv: the header lacks {', '.join(missing)} "
                "(expected wattprint's or CodeCarbon's columns, or JSON lines)"
            )
        is_wattprint = "wattprint_version" in header
        runs = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            origin = f"{path}:{reader.line_num}"
            if len(row) != len(header):
                raise DataError(
                    f"{origin}: the row has {len(row)} fields, the header {len(header)} "
                    "(a damaged or cut-off row)"
                )
            f = Fields(origin, dict(zip(header, row, strict=True)).get)
            runs.append(_wattprint(f) if is_wattprint else _codecarbon(f, len(header)))
    except csv.Error as err:
        raise DataError(f"{path}:{reader.line_num}: damaged CSV ({err})") from err
    return runs


def _place(f: Fields) -> PlaceRecord:
    return PlaceRecord(
        country_iso3=f.text("country_iso_code"),
        country_name=f.text("country_name"),
        region=f.text("region"),
        cloud_provider=f.text("cloud_provider"),
        cloud_region=f.text("cloud_region"),
        how=f.text("location_source"),
    )


def _host(f: Fields) -> HostRecord:
    return HostRecord(
        hostname=f.text("host_name"),
        os=f.text("os"),
        python_version=f.text("python_version"),
        cpu_model=f.text("cpu_model"),
        cpu_count=f.integer("cpu_count"),
        gpu_count=f.integer("gpu_count"),
        gpu_model=f.text("gpu_model"),
        ram_total_gb=ram_gb_from_gib(f.number("ram_total_size")),
    )


def _wattprint(f: Fields) -> RunRecord:
    share = f.number("measured_share")
    components = []
    for name in COMPONENTS:
        method = f.text(f"{name}_method")
        measured = None
        if method == "none":
            measured = False
        elif share in (0.0, 1.0):  # all estimated or all measured: each component's flag follows
            measured = share == 1.0
        components.append(
            ComponentRecord(
                component=name,
                it_energy_kwh=f.number(f"{name}_energy"),
                power_w=f.number(f"{name}_power"),
                method=method,
                measured=measured,
            )
        )
    units = f.number("units")
    record = RunRecord(
        origin=f.origin,
        format="wattprint-csv",
        tool=f"wattprint {f.text('wattprint_version')}",
        run_id=f.text("run_id"),
        project=f.text("project_name"),
        experiment=f.text("experiment_id"),
        run_group=f.text("run_group"),
        status=f.text("status"),
        mode=f.text("tracking_mode"),
        started_at=f.time("started_at_utc"),
        ended_at=f.time("ended_at_utc") or f.time("timestamp"),
        duration_s=f.number("duration"),
        components=tuple(components),
        energy_kwh=f.number("energy_consumed"),
        emissions_kg=f.number("emissions"),
        intensity=IntensityRecord(
            g_per_kwh=f.number("intensity_g_per_kwh"),
            source=f.text("intensity_source"),
            year=f.integer("intensity_year"),
            kind=None,
        ),
        water_l=f.number("water_consumed"),
        pue=f.number("pue"),
        pue_source=None,
        wue_l_per_kwh=f.number("wue"),
        water_detail=None,
        place=_place(f),
        host=_host(f),
        embodied_kg=f.number("embodied_kg"),
        units=units if units else None,
        unit=f.text("unit"),
        notes=(f"measured share of the IT energy: {share:g}",) if share is not None else (),
    )
    return replace(record, unknown=unknown_of(record))


def _codecarbon(f: Fields, columns: int) -> RunRecord:
    pue = f.number("pue")
    divisor = pue if pue else 1.0
    energy = f.number("energy_consumed")
    emissions = f.number("emissions")
    implied = (
        emissions * 1000.0 / energy if emissions is not None and energy and energy > 0 else None
    )
    version = f.text("codecarbon_version") or "(version unknown)"
    components = []
    for name in COMPONENTS:
        value = f.number(f"{name}_energy")
        components.append(
            ComponentRecord(
                component=name,
                it_energy_kwh=value / divisor if value is not None else None,
                power_w=f.number(f"{name}_power"),
                method=None,
                measured=None,
            )
        )
    notes = [
        f"read from CodeCarbon {version}'s emissions.csv ({columns} columns): it records no "
        "intensity, intensity source, methods, start time or tasks",
        "CodeCarbon multiplies each component's energy by the PUE; the component energies "
        f"here are its figures divided by its PUE ({pue if pue is not None else 'unknown'})",
    ]
    if implied is not None:
        notes.append(
            f"intensity {implied:.4g} gCO2e/kWh is implied by CodeCarbon's emissions over "
            "its energy; its source and year are unknown"
        )
    record = RunRecord(
        origin=f.origin,
        format="codecarbon-csv",
        tool=f"CodeCarbon {version}",
        run_id=f.text("run_id"),
        project=f.text("project_name"),
        experiment=f.text("experiment_id"),
        run_group=f.text("run_group"),
        status=None,
        mode=f.text("tracking_mode"),
        started_at=None,
        ended_at=f.time("timestamp"),
        duration_s=f.number("duration"),
        components=tuple(components),
        energy_kwh=energy,
        emissions_kg=emissions,
        intensity=IntensityRecord(
            g_per_kwh=implied,
            source=None,
            year=None,
            kind=None,
            detail="implied by emissions / energy (CodeCarbon does not record it)",
            implied=implied is not None,
        ),
        water_l=f.number("water_consumed"),
        pue=pue,
        pue_source=None,
        wue_l_per_kwh=f.number("wue"),
        water_detail=None,
        place=_place(f),
        host=_host(f),
        notes=tuple(notes),
    )
    return replace(record, unknown=unknown_of(record))

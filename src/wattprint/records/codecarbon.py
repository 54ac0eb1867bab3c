"""CodeCarbon's own emissions.csv rows (3.x: 38 columns, 2.4: 31) as run records.

CodeCarbon's component energies include its PUE (it multiplies each
measurement by it), so they are divided by the PUE here to give IT energy;
its intensity is not recorded, only implied by its emissions over its energy.
The place and host columns are CodeCarbon's, so wattprint's rows read them
with the same functions. A row of CodeCarbon's task file is one task of a
run; its component energies are divided by the run's PUE when the task is
attached to its run (the task file does not record the PUE).
"""

from __future__ import annotations

from dataclasses import replace

from wattprint.records.fields import Fields, ram_gb_from_gib, unknown_of
from wattprint.records.record import (
    COMPONENTS,
    ComponentRecord,
    HostRecord,
    IntensityRecord,
    PlaceRecord,
    RunRecord,
    TaskRecord,
)

TASK_MARKER = "task_name"
"""The column that tells CodeCarbon's task file from its emissions.csv."""


def place_of(f: Fields) -> PlaceRecord:
    """Return the place columns of a row."""
    return PlaceRecord(
        country_iso3=f.text("country_iso_code"),
        country_name=f.text("country_name"),
        region=f.text("region"),
        cloud_provider=f.text("cloud_provider"),
        cloud_region=f.text("cloud_region"),
        how=f.text("location_source"),
    )


def host_of(f: Fields) -> HostRecord:
    """Return the host columns of a row."""
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


def codecarbon_record(f: Fields, columns: int) -> RunRecord:
    """Return the record of one row of CodeCarbon's emissions.csv.

    Args:
        f: the row's converted values.
        columns: how many columns the file has (told to the reader in a note).
    """
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
        place=place_of(f),
        host=host_of(f),
        notes=tuple(notes),
    )
    return replace(record, unknown=unknown_of(record))


def codecarbon_task(f: Fields) -> tuple[str | None, TaskRecord]:
    """Return ``(run id, task)`` of one row of CodeCarbon's task file.

    The component energies are CodeCarbon's (PUE included);
    :func:`wattprint.records.folder.attach_tasks` divides them by the run's PUE.
    """
    energy = f.number("energy_consumed")
    emissions = f.number("emissions")
    intensity = (
        emissions * 1000.0 / energy if emissions is not None and energy and energy > 0 else None
    )
    task = TaskRecord(
        name=f.text(TASK_MARKER) or "(unnamed)",
        duration_s=f.number("duration"),
        energy_kwh=energy,
        it_energy_kwh=tuple(
            (name, value)
            for name in COMPONENTS
            if (value := f.number(f"{name}_energy")) is not None
        ),
        emissions_kg=emissions,
        intensity_g_per_kwh=intensity,
        water_l=f.number("water_consumed"),
    )
    return f.text("run_id"), task

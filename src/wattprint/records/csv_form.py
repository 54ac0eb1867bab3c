"""A run as one emissions.csv row, and a wattprint row read back as a run record.

The columns are :mod:`wattprint.records.columns`'. A row is written as one
line of UTF-8 ending in a newline; a newline inside a value becomes a space,
so a damaged line never swallows the next.
"""

from __future__ import annotations

import csv
import io

from wattprint._version import __version__
from wattprint.records.codecarbon import host_of, place_of
from wattprint.records.columns import COLUMNS
from wattprint.records.fields import Fields, unknown_of
from wattprint.records.record import COMPONENTS, ComponentRecord, IntensityRecord, RunRecord
from wattprint.results import RunResult
from wattprint.units import BYTES_PER_GIB


def row_of(result: RunResult) -> dict[str, str]:
    """Return the CSV row of ``result``, as strings keyed by column."""
    m = result.methodology
    loc = result.location
    host = result.host

    def method(component: str) -> str:
        c = next((c for c in m.components if c.component == component), None)
        return c.method if c else "none"

    pue = result.pue
    ram_used_machine_bytes = result.ram_utilization_percent / 100.0 * host.ram_total_bytes
    values: dict[str, object] = {
        "timestamp": result.ended_at.isoformat(timespec="seconds"),
        "project_name": result.project,
        "run_id": result.run_id,
        "experiment_id": result.experiment,
        "duration": result.duration_s,
        "emissions": result.emissions_kg,
        "emissions_rate": result.emissions_rate_kg_per_s,
        "cpu_power": result.cpu_power_w,
        "gpu_power": result.gpu_power_w,
        "ram_power": result.ram_power_w,
        "cpu_energy": result.cpu_energy_kwh * pue,  # CodeCarbon's: PUE included
        "gpu_energy": result.gpu_energy_kwh * pue,
        "ram_energy": result.ram_energy_kwh * pue,
        "energy_consumed": result.energy_kwh,
        "water_consumed": result.wue_l_per_kwh * result.energy_kwh,  # CodeCarbon's: on site
        "country_name": loc.country_name,
        "country_iso_code": loc.country_iso3,
        "region": loc.region or "",
        "cloud_provider": loc.cloud_provider or "",
        "cloud_region": loc.cloud_region or "",
        "os": host.os,
        "python_version": host.python_version,
        "codecarbon_version": __version__,
        "cpu_count": host.cpu_count,
        "cpu_model": host.cpu_model,
        "gpu_count": host.gpu_count,
        "gpu_model": host.gpu_model,
        "longitude": "",
        "latitude": "",
        "ram_total_size": round(host.ram_total_bytes / BYTES_PER_GIB, 3),
        "tracking_mode": result.mode,
        "cpu_utilization_percent": round(result.cpu_utilization_percent, 2),
        "gpu_utilization_percent": 0.0,
        "ram_utilization_percent": round(result.ram_utilization_percent, 2),
        "ram_used_gb": round(ram_used_machine_bytes / BYTES_PER_GIB, 4),  # the machine's
        "on_cloud": "Y" if loc.cloud_provider else "N",
        "pue": result.pue,
        "wue": result.wue_l_per_kwh,
        "wattprint_version": __version__,
        "status": result.status,
        "started_at_utc": result.started_at.isoformat(),
        "ended_at_utc": result.ended_at.isoformat(),
        "cpu_method": method("cpu"),
        "gpu_method": method("gpu"),
        "ram_method": method("ram"),
        "measured_share": round(result.measured_share, 4),
        "intensity_g_per_kwh": m.intensity.intensity_g_per_kwh,
        "intensity_source": m.intensity.source,
        "intensity_year": m.intensity.year if m.intensity.year is not None else "",
        "location_source": loc.how,
        "run_group": result.run_group,
        "host_name": host.hostname,
        "rank": "" if result.rank is None else result.rank,
        "local_rank": "" if result.local_rank is None else result.local_rank,
        "units": result.units if result.unit else "",
        "unit": result.unit,
        "embodied_kg": result.embodied_kg,
        "sci_g_per_unit": "" if result.sci_g_per_unit is None else result.sci_g_per_unit,
        "intensity_kind": m.intensity.kind,
        "intensity_basis": m.intensity.basis,
        "wattprint_it_energy_kwh": (
            result.cpu_energy_kwh + result.gpu_energy_kwh + result.ram_energy_kwh
        ),
        "wattprint_water_total_l": result.water_l,
        "wattprint_ram_charged_gib": round(result.ram_used_bytes / BYTES_PER_GIB, 4),
        "wattprint_energy_kwh_low": _maybe(result.energy_kwh_low),
        "wattprint_energy_kwh_high": _maybe(result.energy_kwh_high),
        "wattprint_emissions_kg_low": _maybe(result.emissions_kg_low),
        "wattprint_emissions_kg_high": _maybe(result.emissions_kg_high),
    }
    return {k: str(v) for k, v in values.items()}


def _maybe(value: float | None) -> object:
    return "" if value is None else value


def _line(cells: list[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue().encode("utf-8")


def header_line() -> bytes:
    """Return the header wattprint writes, as one line of UTF-8."""
    return _line(list(COLUMNS))


def row_line(result: RunResult) -> bytes:
    """Return ``result`` as one CSV line of UTF-8, ending in a newline.

    Newlines inside values (a project name with one, say) become spaces, so
    every row is one physical line.
    """
    row = row_of(result)
    return _line([_one_line(row[c]) for c in COLUMNS])


def _one_line(value: str) -> str:
    return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def is_wattprint_header(header: list[str]) -> bool:
    """Tell whether ``header`` is exactly the one wattprint writes."""
    return header == list(COLUMNS)


def wattprint_record(f: Fields) -> RunRecord:
    """Return the record of one row of wattprint's emissions.csv."""
    share = f.number("measured_share")
    pue = f.number("pue")
    # Since wattprint_it_energy_kwh exists, the component columns carry CodeCarbon's
    # meaning (PUE included) and water_consumed is on site only; before, they were
    # IT energy and the total water.
    codecarbon_meaning = f.number("wattprint_it_energy_kwh") is not None
    divisor = pue if codecarbon_meaning and pue else 1.0
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
                it_energy_kwh=_divided(f.number(f"{name}_energy"), divisor),
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
            kind=f.text("intensity_kind"),
            basis=f.text("intensity_basis"),
        ),
        energy_kwh_low=f.number("wattprint_energy_kwh_low"),
        energy_kwh_high=f.number("wattprint_energy_kwh_high"),
        emissions_kg_low=f.number("wattprint_emissions_kg_low"),
        emissions_kg_high=f.number("wattprint_emissions_kg_high"),
        water_l=f.number("wattprint_water_total_l" if codecarbon_meaning else "water_consumed"),
        pue=pue,
        pue_source=None,
        wue_l_per_kwh=f.number("wue"),
        water_detail=None,
        place=place_of(f),
        host=host_of(f),
        embodied_kg=f.number("embodied_kg"),
        units=units if units else None,
        unit=f.text("unit"),
        notes=(f"measured share of the IT energy: {share:g}",) if share is not None else (),
    )
    # The record is new and not yet shared: set what it leaves unknown in place
    # (as a frozen dataclass's __post_init__ would) instead of copying it.
    object.__setattr__(record, "unknown", unknown_of(record))
    return record


def _divided(value: float | None, divisor: float) -> float | None:
    return value / divisor if value is not None else None

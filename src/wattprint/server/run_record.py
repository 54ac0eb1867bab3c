"""A stored run as a run record, the form ``wattprint report`` builds its reports from.

The server keeps what the run's client sent: the IT energy of each
component, the facility energy, the emissions, the water and embodied
figures, the bounds, the methodology and the tasks. The record rebuilt
here carries them as they are; what the server does not keep (the WUE, the
functional units) is left unknown and named so. The PUE is implied by the
facility energy over the IT energy, and a CodeCarbon run's intensity by its
emissions over its energy (its client sends none). Units: kWh, kg, L, s, W.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from wattprint.records.record import (
    COMPONENTS,
    ComponentRecord,
    HostRecord,
    IntensityRecord,
    PlaceRecord,
    RunRecord,
    SeriesPoint,
    TaskRecord,
)
from wattprint.server import models as m
from wattprint.server.access import aware
from wattprint.units import G_PER_KG, J_PER_KWH


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str) and value else None


def _components(run: m.Run, methodology: Mapping[str, Any]) -> tuple[ComponentRecord, ...]:
    said = {
        c.get("component"): c for c in methodology.get("components", []) if isinstance(c, dict)
    }
    out = []
    for name in COMPONENTS:
        energy = float(getattr(run, f"{name}_energy_kwh"))
        c = said.get(name, {})
        measured = c.get("measured")
        out.append(ComponentRecord(
            component=name,
            it_energy_kwh=energy,
            power_w=energy * J_PER_KWH / run.duration_s if run.duration_s > 0 else None,
            method=_text(c.get("method")),
            measured=measured if isinstance(measured, bool) else None,
            detail=str(c.get("detail") or ""),
            attribution=str(c.get("attribution") or ""),
        ))  # fmt: skip
    return tuple(out)


def _intensity(run: m.Run, methodology: Mapping[str, Any]) -> IntensityRecord:
    said = methodology.get("intensity")
    said = said if isinstance(said, dict) else {}
    value = run.intensity_g_per_kwh
    implied = False
    if value is None and run.energy_kwh > 0:
        value, implied = run.emissions_kg * G_PER_KG / run.energy_kwh, True
    year = said.get("year")
    return IntensityRecord(
        g_per_kwh=value,
        source=_text(said.get("source")) or run.intensity_source,
        year=year if isinstance(year, int) and not isinstance(year, bool) else None,
        kind=_text(said.get("kind")),
        detail=str(said.get("detail") or ""),
        implied=implied or bool(said.get("implied")),
        basis=_text(said.get("basis")),
    )


def _tasks(run: m.Run) -> tuple[TaskRecord, ...]:
    tasks = []
    for t in run.tasks or []:
        if not isinstance(t, dict):
            continue
        energies = {c: _number(t.get(f"{c}_energy_kwh")) for c in COMPONENTS}
        parts = tuple((c, v) for c, v in energies.items() if v is not None)
        tasks.append(TaskRecord(
            name=str(t.get("name") or t.get("task_name") or ""),
            duration_s=_number(t.get("duration_s")),
            energy_kwh=_number(t.get("energy_kwh")),
            it_energy_kwh=parts,
            emissions_kg=_number(t.get("emissions_kg")),
            intensity_g_per_kwh=_number(t.get("intensity_g_per_kwh")),
            water_l=_number(t.get("water_l")),
        ))  # fmt: skip
    return tuple(tasks)


def record_of(
    run: m.Run,
    *,
    project: str,
    experiment: str,
    status: str,
    series: Sequence[tuple[float, float, float, float]] = (),
) -> RunRecord:
    """Return the stored run as a run record.

    Args:
        run: the run's row.
        project: its project's name.
        experiment: its experiment's name.
        status: its status as shown (``lost`` for a silent running run).
        series: ``(seconds since the start, cpu W, gpu W, ram W)`` points.
    """
    methodology: Mapping[str, Any] = run.methodology if isinstance(run.methodology, dict) else {}
    components = _components(run, methodology)
    it_kwh = sum(c.it_energy_kwh or 0.0 for c in components)
    pue = run.energy_kwh / it_kwh if it_kwh > 0 else None
    codecarbon = run.source == "codecarbon"
    ended: datetime = aware(run.ended_at or run.last_seen_at)
    notes = [str(n) for n in methodology.get("notes", []) if isinstance(n, str)]
    notes.append(f"rebuilt by the wattprint server from what the run's client sent (run {run.id}); "
                 "the server measured nothing itself")  # fmt: skip
    return RunRecord(
        origin=f"wattprint server:run {run.id}",
        format="codecarbon-csv" if codecarbon else "wattprint-jsonl",
        tool=(f"CodeCarbon {run.codecarbon_version or ''}".strip() if codecarbon
              else f"wattprint {run.wattprint_version or ''}".strip()),  # fmt: skip
        run_id=run.id,
        project=project,
        experiment=experiment,
        run_group=run.run_group,
        status=status,
        mode=run.tracking_mode,
        started_at=aware(run.timestamp),
        ended_at=ended,
        duration_s=run.duration_s,
        components=components,
        energy_kwh=run.energy_kwh,
        emissions_kg=run.emissions_kg,
        intensity=_intensity(run, methodology),
        water_l=run.water_l,
        pue=pue,
        pue_source=_text(methodology.get("pue_source")),
        wue_l_per_kwh=None,
        water_detail=_text(methodology.get("water")),
        place=PlaceRecord(country_iso3=run.country_iso_code, country_name=None, region=run.region,
                          cloud_provider=run.provider, cloud_region=None, how=None),  # fmt: skip
        host=HostRecord(hostname=run.hostname, os=run.os, python_version=run.python_version,
                        cpu_model=run.cpu_model, cpu_count=run.cpu_count, gpu_count=run.gpu_count,
                        gpu_model=run.gpu_model, ram_total_gb=run.ram_total_size),  # fmt: skip
        tasks=_tasks(run),
        embodied_kg=None if codecarbon else run.embodied_kg,
        embodied_detail=_text(methodology.get("embodied")),
        notes=tuple(notes),
        unknown=tuple(n for n, v in (("pue", pue), ("wue_l_per_kwh", None), ("units", None))
                      if v is None),  # fmt: skip
        series=tuple(SeriesPoint(t, (("cpu", c), ("gpu", g), ("ram", r)))
                     for t, c, g, r in series),  # fmt: skip
        energy_kwh_low=run.energy_kwh_low,
        energy_kwh_high=run.energy_kwh_high,
        emissions_kg_low=run.emissions_kg_low,
        emissions_kg_high=run.emissions_kg_high,
    )

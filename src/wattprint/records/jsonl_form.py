"""A run as one line of JSON, and such a line read back as a run record.

Each line is :func:`wattprint.records.run_dict.run_to_dict` of one finished
run: every figure, the tasks and the full methodology, with a ``schema``
field naming the version of the form.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from wattprint.records.fields import Fields, unknown_of
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
from wattprint.records.run_dict import run_to_dict
from wattprint.results import RunResult
from wattprint.units import BYTES_PER_GB

_WATER_SOURCE = re.compile(r"x grid [^ ]+ L/kWh \(.*; (?P<source>[^;]+), (?P<year>\d{4})\)\)$")
"""The grid water source in the tracker's note: ``x grid 0.8 L/kWh (mix; SOURCE, YEAR))``."""


def _finite(value: Any) -> Any:
    """Return ``value`` with NaN and infinities made ``None`` (strict JSON has neither)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def to_json(data: Mapping[str, Any]) -> bytes:
    """Return ``data`` as compact, strict JSON in UTF-8 (NaN and infinities become null)."""
    text = json.dumps(_finite(dict(data)), ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def run_to_line(result: RunResult) -> bytes:
    """Return ``result`` as one line of strict JSON (UTF-8, ending in a newline)."""
    return to_json(run_to_dict(result)) + b"\n"


def water_source_of(water_detail: str | None) -> tuple[str, int] | None:
    """Return the grid water data set and year named in a run's water note, if any."""
    found = _WATER_SOURCE.search(water_detail or "")
    return (found.group("source"), int(found.group("year"))) if found else None


def json_record(origin: str, data: Mapping[str, Any]) -> RunRecord:
    """Return the record of one ``wattprint.run/1`` object.

    Raises:
        DataError: a field has a value of the wrong type.
    """
    f = Fields(origin, data.get)
    m = f.sub("methodology")
    methods = {c.text("component"): c for c in m.items("components")}
    components = []
    for name in COMPONENTS:
        c = methods.get(name)
        measured = c.raw("measured") if c is not None else None
        components.append(
            ComponentRecord(
                component=name,
                it_energy_kwh=f.number(f"{name}_energy_kwh"),
                power_w=f.number(f"{name}_power_w"),
                method=c.text("method") if c is not None else None,
                measured=measured if isinstance(measured, bool) else None,
                detail=(c.text("detail") or "") if c is not None else "",
                attribution=(c.text("attribution") or "") if c is not None else "",
            )
        )
    i = m.sub("intensity")
    loc = f.sub("location")
    host = f.sub("host")
    ram_bytes = host.number("ram_total_bytes")
    units = f.number("units")
    water = water_source_of(m.text("water"))
    record = RunRecord(
        origin=origin,
        format="wattprint-jsonl",
        tool=f"wattprint {f.text('wattprint_version') or '(version unknown)'}",
        run_id=f.text("run_id"),
        project=f.text("project"),
        experiment=f.text("experiment"),
        run_group=f.text("run_group"),
        status=f.text("status"),
        mode=f.text("mode"),
        started_at=f.time("started_at"),
        ended_at=f.time("ended_at"),
        duration_s=f.number("duration_s"),
        components=tuple(components),
        energy_kwh=f.number("energy_kwh"),
        emissions_kg=f.number("emissions_kg"),
        intensity=IntensityRecord(
            g_per_kwh=f.number("intensity_g_per_kwh"),
            source=i.text("source"),
            year=i.integer("year"),
            kind=i.text("kind"),
            detail=i.text("detail") or "",
            basis=i.text("basis"),  # None in records written before the field
        ),
        water_l=f.number("water_l"),
        pue=f.number("pue"),
        pue_source=m.text("pue_source"),
        wue_l_per_kwh=f.number("wue_l_per_kwh"),
        water_detail=m.text("water"),
        water_source=water[0] if water else None,
        water_year=water[1] if water else None,
        place=PlaceRecord(
            country_iso3=loc.text("country_iso3"),
            country_name=loc.text("country_name"),
            region=loc.text("region"),
            cloud_provider=loc.text("cloud_provider"),
            cloud_region=loc.text("cloud_region"),
            how=m.sub("location").text("how") or loc.text("how"),
        ),
        host=HostRecord(
            hostname=host.text("hostname"),
            os=host.text("os"),
            python_version=host.text("python_version"),
            cpu_model=host.text("cpu_model"),
            cpu_count=host.integer("cpu_count"),
            gpu_count=host.integer("gpu_count"),
            gpu_model=host.text("gpu_model"),
            ram_total_gb=ram_bytes / BYTES_PER_GB if ram_bytes is not None else None,
        ),
        tasks=tuple(_task(t) for t in f.items("tasks")),
        embodied_kg=f.number("embodied_kg"),
        embodied_detail=m.text("embodied"),
        units=units if units else None,
        unit=f.text("unit"),
        notes=_strings(m.raw("notes")),
        series=_series(f),
        energy_kwh_low=f.number("energy_kwh_low"),
        energy_kwh_high=f.number("energy_kwh_high"),
        emissions_kg_low=f.number("emissions_kg_low"),
        emissions_kg_high=f.number("emissions_kg_high"),
    )
    return replace(record, unknown=unknown_of(record))


def _strings(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _task(t: Fields) -> TaskRecord:
    return TaskRecord(
        name=t.text("name") or "(unnamed)",
        duration_s=t.number("duration_s"),
        energy_kwh=t.number("energy_kwh"),
        it_energy_kwh=tuple(
            (name, value)
            for name in COMPONENTS
            if (value := t.number(f"{name}_energy_kwh")) is not None
        ),
        emissions_kg=t.number("emissions_kg"),
        intensity_g_per_kwh=t.number("intensity_g_per_kwh"),
        water_l=t.number("water_l"),
    )


def _series(f: Fields) -> tuple[SeriesPoint, ...]:
    """Read an optional ``series``: a list of ``{"elapsed_s", "<component>_power_w"...}``."""
    points = []
    for p in f.items("series"):
        elapsed = p.number("elapsed_s")
        if elapsed is None:
            elapsed = p.number("t_s")
        if elapsed is None:
            continue
        power = tuple(
            (name, value)
            for name in COMPONENTS
            if (value := p.number(f"{name}_power_w")) is not None
        )
        if power:
            points.append(SeriesPoint(elapsed, power))
    return tuple(sorted(points, key=lambda p: p.elapsed_s))

"""Results as Python log records: one structured record per finished run.

The record's message is one short line for people; the figures travel in
``record.wattprint`` (``extra={"wattprint": {...}}``), a flat mapping with
units in its keys, for structured handlers (JSON formatters, log shippers).
Nothing is logged while the run goes on, so a program logging at INFO sees
one line per run, not one per interval. wattprint configures no handler:
the records go wherever the program's logging sends them.
"""

from __future__ import annotations

import logging

from wattprint._log import wattprint_logger
from wattprint.records.run_dict import SCHEMA
from wattprint.results import RunResult

LogValue = str | float | int | None
"""A value of the structured fields: plain, JSON-ready."""


def fields_of(result: RunResult) -> dict[str, LogValue]:
    """Return the headline figures of ``result`` as a flat, JSON-ready mapping.

    Units are in the keys: kWh, W, kg, gCO2e/kWh, L, s. ``*_method`` give how
    each component was obtained (``none`` when it was not tracked).
    """
    m = result.methodology

    def method(component: str) -> str:
        c = next((c for c in m.components if c.component == component), None)
        return c.method if c else "none"

    return {
        "schema": SCHEMA,
        "run_id": result.run_id,
        "project": result.project,
        "experiment": result.experiment,
        "status": result.status,
        "mode": result.mode,
        "started_at": result.started_at.isoformat(),
        "ended_at": result.ended_at.isoformat(),
        "duration_s": result.duration_s,
        "energy_kwh": result.energy_kwh,
        "cpu_energy_kwh": result.cpu_energy_kwh,
        "gpu_energy_kwh": result.gpu_energy_kwh,
        "ram_energy_kwh": result.ram_energy_kwh,
        "cpu_power_w": result.cpu_power_w,
        "gpu_power_w": result.gpu_power_w,
        "ram_power_w": result.ram_power_w,
        "emissions_kg": result.emissions_kg,
        "intensity_g_per_kwh": result.intensity_g_per_kwh,
        "intensity_source": m.intensity.source,
        "intensity_year": m.intensity.year,
        "intensity_kind": m.intensity.kind,
        "water_l": result.water_l,
        "pue": result.pue,
        "country_iso3": result.location.country_iso3,
        "region": result.location.region,
        "cpu_method": method("cpu"),
        "gpu_method": method("gpu"),
        "ram_method": method("ram"),
        "measured_share": result.measured_share,
        "tasks": len(result.tasks),
    }


class LoggerSink:
    """Log one record per finished run, with the figures as structured fields.

    Args:
        logger_name: the logger to use. The default, ``wattprint.results``,
            is a child of ``wattprint``: it takes that logger's level when
            it has none of its own.
        level: the record's level (a ``logging`` level number).
    """

    name = "logger"

    def __init__(
        self, *, logger_name: str = "wattprint.results", level: int = logging.INFO
    ) -> None:
        self.logger = wattprint_logger(logger_name)
        self.level = level

    def write(self, result: RunResult) -> None:
        """Log ``result`` as one record (``record.wattprint`` holds the fields)."""
        if not self.logger.isEnabledFor(self.level):
            return
        self.logger.log(
            self.level,
            "wattprint run %s of %s/%s %s: %.3g kWh, %.3g kg CO2e in %.1f s",
            result.run_id,
            result.project,
            result.experiment,
            result.status,
            result.energy_kwh,
            result.emissions_kg,
            result.duration_s,
            extra={"wattprint": fields_of(result)},
        )

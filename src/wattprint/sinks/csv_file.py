"""emissions.csv: one row per run, CodeCarbon's 38 columns first.

The first 38 columns have CodeCarbon 3.x's names, order and units, so tools
that read CodeCarbon's file keep working (``codecarbon_version`` holds
wattprint's version); wattprint's own columns follow. Rows are appended under
an exclusive file lock, so concurrent runs write whole rows. A file whose
header is not this one is never rewritten: the row goes to a new file beside
it, and a warning names it.
"""

from __future__ import annotations

import csv
import io
import logging
import os
from pathlib import Path

from wattprint._version import __version__
from wattprint.results import RunResult
from wattprint.units import BYTES_PER_GIB

logger = logging.getLogger("wattprint")

CODECARBON_COLUMNS: tuple[str, ...] = (
    "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions",
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy",
    "ram_energy", "energy_consumed", "water_consumed", "country_name", "country_iso_code",
    "region", "cloud_provider", "cloud_region", "os", "python_version", "codecarbon_version",
    "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
    "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
    "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
)  # fmt: skip
"""CodeCarbon 3.x's columns. Units: s, kg, kg/s, W, kWh, L, GB, %."""

WATTPRINT_COLUMNS: tuple[str, ...] = (
    "wattprint_version", "status", "started_at_utc", "ended_at_utc", "cpu_method",
    "gpu_method", "ram_method", "measured_share", "intensity_g_per_kwh", "intensity_source",
    "intensity_year", "location_source", "run_group", "host_name", "rank", "local_rank",
    "units", "unit", "embodied_kg", "sci_g_per_unit",
)  # fmt: skip

COLUMNS = CODECARBON_COLUMNS + WATTPRINT_COLUMNS


def row_of(result: RunResult) -> dict[str, str]:
    """Return the CSV row of ``result``, as strings."""
    m = result.methodology
    loc = result.location
    host = result.host

    def method(component: str) -> str:
        c = next((c for c in m.components if c.component == component), None)
        return c.method if c else "none"

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
        "cpu_energy": result.cpu_energy_kwh,
        "gpu_energy": result.gpu_energy_kwh,
        "ram_energy": result.ram_energy_kwh,
        "energy_consumed": result.energy_kwh,
        "water_consumed": result.water_l,
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
        "ram_used_gb": round(result.ram_used_bytes / BYTES_PER_GIB, 4),
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
    }
    return {k: str(v) for k, v in values.items()}


def _header_of(path: Path) -> list[str] | None:
    """Return the file's header row, [] for an empty file, None if unreadable."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


class CsvSink:
    """Append runs to an emissions.csv, never rewriting what is there.

    When the file cannot be written (the directory became read-only or was
    removed, the disk is full), the row goes to a file of the same name in
    ``fallback_dir`` (the user data directory by default), with one warning
    naming it.

    Args:
        path: the file, e.g. ``./emissions.csv``.
        fallback_dir: where rows go when ``path`` cannot be written.
    """

    name = "csv"

    def __init__(self, path: Path, fallback_dir: Path | None = None) -> None:
        self.path = path
        self.fallback_dir = fallback_dir
        self.written_to: Path | None = None

    def _target(self) -> Path:
        candidate, n = self.path, 0
        while candidate.exists() and candidate.stat().st_size > 0:
            header = _header_of(candidate)
            if header == list(COLUMNS):
                return candidate
            n += 1
            candidate = self.path.with_name(f"{self.path.stem}.wattprint-{n}{self.path.suffix}")
        if candidate != self.path:
            logger.warning(
                "wattprint: %s has a header wattprint does not write (another tool's or an "
                "older format); it is left untouched and this run goes to %s",
                self.path,
                candidate,
            )
        return candidate

    def write(self, result: RunResult) -> None:
        """Append ``result`` as one row (with the header if the file is new).

        Raises:
            OSError: neither the file nor the fallback could be written.
        """
        try:
            self._append(self._target(), result)
        except OSError as err:
            from wattprint.paths import user_data_dir

            fallback = (self.fallback_dir or user_data_dir()) / self.path.name
            if fallback == self.path:
                raise
            fallback.parent.mkdir(parents=True, exist_ok=True)
            self._append(fallback, result)
            logger.warning(
                "wattprint: %s cannot be written (%s); this run was written to %s instead",
                self.path,
                err.strerror or err,
                fallback,
            )

    def _append(self, target: Path, result: RunResult) -> None:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
        target.parent.mkdir(parents=True, exist_ok=True)  # settings only check it
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            _lock(fd)
            if os.fstat(fd).st_size == 0:
                writer.writeheader()
            writer.writerow(row_of(result))
            os.write(fd, buf.getvalue().encode("utf-8"))
        finally:
            os.close(fd)
        self.written_to = target


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: appends of one write() are still whole rows
        return
    fcntl.flock(fd, fcntl.LOCK_EX)

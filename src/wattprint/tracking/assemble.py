"""Turn attributed totals into result fields and a methodology.

Kept apart from the tracker so the arithmetic from joules to kWh, watts,
emissions and utilisation sits in one place that tests can call directly.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from typing import Any

from wattprint._record import NamedTuple, field_names, replace
from wattprint.grid.plan import GridPlan
from wattprint.grid.timeline import IntensityTimeline, Resolved
from wattprint.impact.carbon import facility_energy_kwh
from wattprint.impact.embodied import default_embodied, embodied_share_kg
from wattprint.impact.hourly import hourly_emissions_kg
from wattprint.impact.sci import sci
from wattprint.impact.uncertainty import (
    EMBODIED_BANDS,
    INTENSITY_BANDS,
    Band,
    band_of,
    embodied_interval,
    emissions_interval,
    facility_energy_interval,
    it_energy_interval,
    water_interval,
)
from wattprint.impact.water import water_l
from wattprint.power.base import Component, NamedDevices
from wattprint.power.discovery import Discovery
from wattprint.results import (
    ComponentMethod,
    Footprint,
    Host,
    Methodology,
    Mode,
    PowerPoint,
    RunResult,
    Status,
    TaskResult,
)
from wattprint.settings.resolve import Settings
from wattprint.tracking.groups import RunGroup
from wattprint.tracking.meter import Meter, Totals
from wattprint.units import BYTES_PER_GB, j_to_kwh

_NO_SOURCE = {
    "cpu": "no CPU source could be opened",
    "gpu": "no GPU source: GPU energy is not counted",
    "ram": "no memory source could be opened",
}


def footprint_kwargs(footprint: Footprint) -> dict[str, Any]:
    """Return a footprint's fields as keyword arguments for a TaskResult or RunResult."""
    return {name: getattr(footprint, name) for name in field_names(Footprint)}


def _attribution(component: Component, mode: Mode, pid: int, cpu_rule: str = "") -> str:
    if mode == "machine":
        return "whole machine"
    if component in ("cpu", "soc"):
        return f"share of process {pid} and its descendants: {cpu_rule}"
    if component == "ram":
        return f"share of the installed memory resident in process {pid} and its descendants"
    return "whole device"


def build_methodology(
    discovery: Discovery,
    *,
    mode: Mode,
    pid: int,
    plan: GridPlan,
    resolved: Resolved,
    failures: dict[str, str],
    group: RunGroup | None = None,
    counts_host: bool = True,
    gpu_rules: dict[str, str] | None = None,
    recovered: Collection[str] = (),
    cpu_rule: str = "",
) -> Methodology:
    """Describe how each component and the intensity were obtained."""
    components: list[ComponentMethod] = []
    for component in ("cpu", "gpu", "ram"):
        source = discovery.source_for(component)
        if source is None:
            why = _NO_SOURCE[component]
            if not counts_host and group is not None:
                why = (
                    f"counted once per host by local rank 0 of group {group.group_id} "
                    f"(this is rank {group.rank}, local rank {group.local_rank})"
                )
            components.append(ComponentMethod(component, "none", False, why, "none"))
            continue
        attribution = _attribution(component, mode, pid, cpu_rule)
        if component == "gpu" and mode == "process" and gpu_rules:
            attribution = "; ".join(f"{d}: {rule}" for d, rule in gpu_rules.items())
        components.append(
            ComponentMethod(
                component=component,
                method=source.method,
                measured=source.measured,
                detail=source.detail,
                attribution=attribution,
            )
        )
    notes = [*plan.warnings, *resolved.notes]
    if group is not None:
        notes.append(
            f"rank {group.rank} of run group {group.group_id} ({group.launcher}) on "
            f"{group.host}; sum the group's rows for the job total"
        )
    notes += [
        f"{name} failed during the run ({why}); "
        + (
            "it read again later, and its cumulative reading counted the gap"
            if name in recovered
            else "the gap is not counted"
        )
        for name, why in failures.items()
    ]
    return Methodology(
        components=tuple(components),
        intensity=resolved.intensity,
        location=plan.location,
        pue_source=plan.pue_source,
        water=_water_detail(plan),
        notes=tuple(notes),
    )


def _water_detail(plan: GridPlan) -> str:
    grid = plan.grid_water
    at_plants = (
        f"grid {grid.water_l_per_kwh:g} L/kWh ({grid.detail}; {grid.source}, {grid.year})"
        if grid is not None
        else "grid water intensity unknown (0 used)"
    )
    return (
        f"IT energy x (WUE {plan.wue_l_per_kwh:g} L/kWh [{plan.wue_source}] + "
        f"PUE {plan.pue:g} x {at_plants})"
    )


@functools.cache
def _platform() -> tuple[str, str, str]:
    """Return the OS string, Python version and host name (read once per process).

    Read from ``os.uname()``: ``platform.platform()`` would spawn ``uname -p``.
    """
    u = os.uname()
    names = getattr(os, "confstr_names", {})
    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in names else None
    os_name = f"{u.sysname}-{u.release}-{u.machine}"
    if libc:
        os_name += f"-with-{libc.replace(' ', '')}"
    return os_name, sys.version.split()[0], u.nodename


def build_host(discovery: Discovery) -> Host:
    """Describe the machine for the result and the CSV's host columns."""
    hw = discovery.hardware
    os_name, python_version, hostname = _platform()
    gpu = discovery.source_for("gpu")
    names = gpu.device_names if isinstance(gpu, NamedDevices) else ()
    return Host(
        hostname=hostname,
        os=os_name,
        python_version=python_version,
        cpu_model=hw.cpu.brand,
        cpu_count=hw.cpu.logical_cpus,
        gpu_count=len(names),
        gpu_model=", ".join(dict.fromkeys(names)),
        ram_total_bytes=hw.ram_total_bytes,
    )


def footprint_fields(
    diff: Totals,
    *,
    run_id: str,
    settings: Settings,
    plan: GridPlan,
    resolved: Resolved,
    methodology: Methodology,
    started_at: datetime,
    ended_at: datetime,
    status: Status,
    ram_total_bytes: int,
) -> Footprint:
    """Compute energies, mean powers, emissions and utilisation of a window.

    ``diff.monotonic_s`` is the window's duration (s); energies are J.
    """
    duration_s = max(0.0, diff.monotonic_s)

    def mean_w(energy_j: float) -> float:
        return energy_j / duration_s if duration_s > 0 else 0.0

    it_kwh = j_to_kwh(diff.cpu_j + diff.gpu_j + diff.ram_j)
    energy_kwh = facility_energy_kwh(it_kwh, plan.pue)
    grid_water = plan.grid_water.water_l_per_kwh if plan.grid_water is not None else 0.0
    busy_pct = 100.0 * diff.busy_s / diff.cpu_total_s if diff.cpu_total_s > 0 else 0.0
    emissions = hourly_emissions_kg(
        resolved.energy_kwh_by_hour, resolved.intensity_g_per_kwh_by_hour
    )
    methods: dict[str, str] = {c.component: c.method for c in methodology.components}
    it_range = it_energy_interval(
        [
            (j_to_kwh(energy_j), band_of(methods.get(name, "none"), duration_s))
            for name, energy_j in (("cpu", diff.cpu_j), ("gpu", diff.gpu_j), ("ram", diff.ram_j))
        ]
    )
    energy_range = facility_energy_interval(it_range, plan.pue)
    emissions_range = emissions_interval(energy_range, intensity_band(plan, resolved), emissions)
    water_range = water_interval(
        it_range, pue=plan.pue, wue_l_per_kwh=plan.wue_l_per_kwh, grid_water_l_per_kwh=grid_water
    )
    return Footprint(
        run_id=run_id,
        project=settings.project,
        experiment=settings.experiment,
        started_at=started_at,
        ended_at=ended_at,
        duration_s=duration_s,
        energy_kwh=energy_kwh,
        cpu_energy_kwh=j_to_kwh(diff.cpu_j),
        gpu_energy_kwh=j_to_kwh(diff.gpu_j),
        ram_energy_kwh=j_to_kwh(diff.ram_j),
        cpu_power_w=mean_w(diff.cpu_j),
        gpu_power_w=mean_w(diff.gpu_j),
        ram_power_w=mean_w(diff.ram_j),
        emissions_kg=emissions,
        intensity_g_per_kwh=resolved.intensity.intensity_g_per_kwh,
        water_l=water_l(
            it_kwh, pue=plan.pue, wue_l_per_kwh=plan.wue_l_per_kwh, grid_water_l_per_kwh=grid_water
        ),
        energy_kwh_low=energy_range.low,
        energy_kwh_high=energy_range.high,
        emissions_kg_low=emissions_range.low,
        emissions_kg_high=emissions_range.high,
        water_l_low=water_range.low,
        water_l_high=water_range.high,
        location=plan.location,
        status=status,
        methodology=methodology,
        cpu_utilization_percent=busy_pct,
        ram_used_bytes=diff.ram_used_byte_s / duration_s if duration_s > 0 else 0.0,
    )


def intensity_band(plan: GridPlan, resolved: Resolved) -> Band:
    """Return the band of the run's intensity: exact when set, else by how it was obtained.

    A figure the user set is exact; one from a live provider for the run's
    hours gets the hourly band; any table figure (annual, or monthly) the
    average band, which also covers a mix of live and table hours.
    """
    if plan.intensity_is_set:
        return INTENSITY_BANDS["set"]
    source = resolved.intensity.source
    if source.endswith(" live") and " + " not in source:
        return INTENSITY_BANDS["hourly"]
    return INTENSITY_BANDS["average"]


def ram_utilization_percent(diff: Totals, ram_total_bytes: int) -> float:
    """Return the machine's mean memory use over the window. Units: %."""
    if diff.monotonic_s <= 0 or ram_total_bytes <= 0:
        return 0.0
    return 100.0 * diff.ram_machine_byte_s / diff.monotonic_s / ram_total_bytes


class ResultBuilder(NamedTuple):  # a named tuple: cheaper to define than a dataclass
    """Assemble task and run results from a window of attributed totals."""

    settings: Settings
    plan: GridPlan
    timeline: IntensityTimeline
    meter: Meter
    pid: int
    run_id: str
    group: RunGroup | None
    counts_host: bool
    now: Callable[[], datetime] = functools.partial(datetime.now, timezone.utc)

    def fields(self, diff: Totals, started_at: datetime, status: Status) -> Footprint:
        """Return the fields shared by tasks and runs for the window ``diff``."""
        pue = self.plan.pue
        resolved = self.timeline.resolve([(h, e * pue) for h, e in diff.hourly_j])
        methodology = build_methodology(
            self.meter.discovery,
            mode=self.settings.mode,
            pid=self.pid,
            plan=self.plan,
            resolved=resolved,
            failures=self.meter.failures,
            group=self.group,
            counts_host=self.counts_host,
            gpu_rules=self.meter.gpu_rules,
            recovered=self.meter.recovered,
            cpu_rule=self.meter.cpu_rule,
        )
        return footprint_fields(
            diff,
            run_id=self.run_id,
            settings=self.settings,
            plan=self.plan,
            resolved=resolved,
            methodology=methodology,
            started_at=started_at,
            ended_at=self.now(),
            status=status,
            ram_total_bytes=self.meter.discovery.hardware.ram_total_bytes,
        )

    def run(
        self,
        diff: Totals,
        started_at: datetime,
        status: Status,
        *,
        tasks: tuple[TaskResult, ...],
        units: tuple[float, str],
    ) -> RunResult:
        """Return the run's result for the window ``diff``."""
        hardware = self.meter.discovery.hardware
        group = self.group
        fields = self.fields(diff, started_at, status)
        embodied, embodied_detail = self.embodied(fields.duration_s)
        embodied_range = embodied_interval(
            embodied,
            EMBODIED_BANDS["set" if self.settings.embodied_kg is not None else "estimated"],
        )
        fields = replace(fields, methodology=replace(fields.methodology, embodied=embodied_detail))
        per_unit = None
        if units[0] > 0:
            per_unit = sci(
                energy_kwh=fields.energy_kwh,
                intensity_g_per_kwh=fields.intensity_g_per_kwh,
                embodied_kg=embodied,
                water_l=fields.water_l,
                units=units[0],
                unit=units[1],
            ).g_per_unit
        return RunResult(
            mode=self.settings.mode,
            pue=self.plan.pue,
            wue_l_per_kwh=self.plan.wue_l_per_kwh,
            host=build_host(self.meter.discovery),
            ram_utilization_percent=ram_utilization_percent(diff, hardware.ram_total_bytes),
            tasks=tasks,
            units=units[0],
            unit=units[1],
            run_group=group.group_id if group else "",
            rank=group.rank if group else None,
            local_rank=group.local_rank if group else None,
            embodied_kg=embodied,
            embodied_kg_low=embodied_range.low,
            embodied_kg_high=embodied_range.high,
            sci_g_per_unit=per_unit,
            series=tuple(PowerPoint(*point) for point in self.meter.series),
            **footprint_kwargs(fields),
        )

    def embodied(self, duration_s: float) -> tuple[float, str]:
        """Return the run's embodied share (kg CO2e) and how it was obtained.

        GSF SCI: M = TE x (time reserved / expected lifetime) x (resources
        reserved / total resources). The server and the share reserved come
        from discovery (``Discovery.host``): a cloud instance's platform and
        its vCPUs' share of it (CCF), a VM's share of a two-socket host of
        its chip, or this machine's usable CPUs over its logical CPUs; 0 for
        a rank whose host is counted by another rank. A figure the user set
        is this machine's total, shared by its usable CPUs.
        """
        discovery = self.meter.discovery
        hw = discovery.hardware
        host = discovery.host
        settings = self.settings
        share = hw.cpu.usable_cpus / hw.cpu.logical_cpus
        rule = f"{hw.cpu.usable_cpus:g} usable CPUs of {hw.cpu.logical_cpus}"
        if settings.embodied_kg is not None:
            total = settings.embodied_kg
            what = f"{total:g} kg set by the user ({settings.source_of('embodied_kg')})"
        elif host is not None and host.platform_embodied_kg is not None:
            total, share, rule = host.platform_embodied_kg, host.share, host.rule
            what = f"{total:.0f} kg for the instance's platform server"
        else:
            sockets = host.sockets if host is not None else hw.cpu.sockets
            ram_gb = host.ram_gb if host is not None else hw.ram_total_bytes / BYTES_PER_GB
            if host is not None:
                share, rule = host.share, host.rule
            estimate = default_embodied(cpu_sockets=sockets, ram_gb=ram_gb)
            total = estimate.total_kg
            parts = ", ".join(
                f"{p.component} {p.count:g} x {p.kg_each:g} kg" for p in estimate.parts
            )
            what = f"{total:.0f} kg estimated for the server ({parts})"
        share = min(1.0, share) if self.counts_host else 0.0
        kg = embodied_share_kg(
            total_embodied_kg=total,
            duration_s=duration_s,
            lifetime_years=settings.lifetime_years,
            reserved_share=share,
        )
        detail = (
            f"{what} x {duration_s:.1f} s / {settings.lifetime_years:g} years x "
            f"{share:.3g} of it reserved ({rule}; GSF SCI); see impact/SOURCES.md"
        )
        return kg, detail

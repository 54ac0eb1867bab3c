"""What wattprint can measure on this machine, and how to make it measure more.

``diagnose()`` runs the same discovery the tracker runs and reports every
probe (used or not, and why), the hardware found, the place and intensity
that would be used, and advice. ``wattprint doctor`` renders it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from wattprint.grid.plan import GridPlan, plan_grid
from wattprint.power.base import ProbeOutcome
from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.settings.resolve import resolve_settings
from wattprint.tracking.grid_request import request_from
from wattprint.units import BYTES_PER_GIB


@dataclass(frozen=True, slots=True)
class ProbeReport:
    """One probe, as ``doctor`` shows it.

    Attributes:
        probe: the probe's name.
        components: the components it can serve.
        status: ``used``, ``available`` (found but another source is preferred)
            or ``unavailable``.
        sources: the sources it opened, as ``name (method, measured|estimated)``.
        reason: what it found or why it could not.
        advice: how to make it usable, if anything can.
    """

    probe: str
    components: tuple[str, ...]
    status: str
    sources: tuple[str, ...]
    reason: str
    advice: str


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Everything ``wattprint doctor`` reports."""

    cpu: dict[str, object]
    ram_total_gib: float
    gpus: tuple[dict[str, object], ...]
    probes: tuple[ProbeReport, ...]
    methods: dict[str, str]
    location: dict[str, object]
    intensity: dict[str, object]
    advice: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """Return the diagnosis as plain data, ready for JSON."""
        return asdict(self)


def _report(outcome: ProbeOutcome, discovery: Discovery) -> ProbeReport:
    chosen = {id(s) for s in discovery.chosen}
    used = any(id(s) in chosen for s in outcome.sources)
    status = "used" if used else ("available" if outcome.sources else "unavailable")
    return ProbeReport(
        probe=outcome.probe,
        components=tuple(outcome.components),
        status=status,
        sources=tuple(
            f"{s.name} ({s.method}, {'measured' if s.measured else 'estimated'})"
            for s in outcome.sources
        ),
        reason=outcome.reason,
        advice=outcome.advice,
    )


def _gpus(env: Mapping[str, str]) -> tuple[dict[str, object], ...]:
    """Every GPU the vendor libraries list: counter support, driver, method."""
    from wattprint.power.gpu.amd import AmdSmiBackend
    from wattprint.power.gpu.backend import GpuBackend
    from wattprint.power.gpu.describe import describe_gpus
    from wattprint.power.gpu.nvidia import NvmlBackend

    found: list[dict[str, object]] = []
    backends: tuple[GpuBackend, ...] = (NvmlBackend(), AmdSmiBackend())
    for backend in backends:
        try:
            found += [dict(gpu) for gpu in describe_gpus(backend, env)]
        except Exception as err:  # doctor reports a failing library, never crashes on it
            found.append({"vendor": backend.vendor, "error": str(err)})
    return tuple(found)


def diagnose(*, country: str | None = None, env: Mapping[str, str] | None = None) -> Diagnosis:
    """Probe this machine as a tracker would, and say what it found.

    Raises:
        ConfigError: ``country`` is not a known ISO 3166 code.
    """
    env = env if env is not None else os.environ
    arguments: dict[str, object] = {"save_to_file": False}
    if country is not None:
        arguments["country"] = country
    settings = resolve_settings(arguments, env=env)
    grid: GridPlan = plan_grid(request_from(settings), env=env)
    discovery = discover(ProbeContext(env=env))
    try:
        hw = discovery.hardware
        probes = tuple(_report(o, discovery) for o in discovery.outcomes)
        methods: dict[str, str] = {}
        for component in ("cpu", "gpu", "ram"):
            source = discovery.source_for(component)
            if source is None:
                methods[component] = "not counted (no source)"
            else:
                kind = "measured" if source.measured else "estimated"
                methods[component] = f"{source.method} ({kind})"
        advice = [p.advice for p in probes if p.advice and p.status != "used"]
        if hw.cpu_match.how == "default" and discovery.source_for("cpu") is not None:
            advice.append(
                f"{hw.cpu.brand!r} is not in the CPU table, so its TDP is a per-thread "
                "default; set force_cpu_power_w= (or --cpu-power) to its known power, or "
                "grant RAPL access for a measurement"
            )
        advice += [p.advice for p in probes if p.advice and p.status == "used"]
        advice += list(grid.warnings)
        if all(not s.measured for s in discovery.chosen):
            advice.append(
                "every figure here is an estimate; a machine with readable RAPL "
                "counters (Linux, Intel or AMD) gives measured CPU and memory energy"
            )
        return Diagnosis(
            cpu={
                "brand": hw.cpu.brand,
                "sockets": hw.cpu.sockets,
                "logical_cpus": hw.cpu.logical_cpus,
                "usable_cpus": hw.cpu.usable_cpus,
                "limit": hw.cpu.limit,
                "tdp_w": hw.cpu_match.tdp_w,
                "tdp_match": hw.cpu_match.how,
                "tdp_detail": hw.cpu_match.detail,
            },
            ram_total_gib=round(hw.ram_total_bytes / BYTES_PER_GIB, 2),
            gpus=_gpus(env),
            probes=probes,
            methods=methods,
            location={
                "country": grid.location.country_iso3,
                "name": grid.location.country_name,
                "region": grid.location.region,
                "cloud_provider": grid.location.cloud_provider,
                "cloud_region": grid.location.cloud_region,
                "how": grid.location.how,
                "pue": grid.pue,
                "pue_source": grid.pue_source,
            },
            intensity={
                "g_per_kwh": grid.intensity.intensity_g_per_kwh,
                "source": grid.intensity.source,
                "year": grid.intensity.year,
                "kind": grid.intensity.kind,
                "detail": grid.intensity.detail,
            },
            advice=tuple(dict.fromkeys(advice)),
        )
    finally:
        discovery.close()

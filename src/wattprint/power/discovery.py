"""Find the power sources of this machine, in a fixed order of preference.

Discovery is data: ``PROBES`` is an ordered tuple of probe functions. Each
returns a :class:`ProbeOutcome` (sources, or the reason why none), and for
each component the first probe with a source wins: a user-set constant, then
hardware counters, then models. ``wattprint doctor`` prints the same outcomes
the tracker uses, so what you see is what is measured.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError
from wattprint.paths import user_cache_dir
from wattprint.power.base import COMPONENTS, Component, PowerSource, ProbeOutcome
from wattprint.power.cpu.cloud_profiles import CloudProfileSource, CloudTables
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.host_share import HostShare
from wattprint.power.cpu.info import read_cpu_info, read_ram_total_bytes
from wattprint.power.cpu.models import CpuTable, LoadCurve
from wattprint.power.cpu.per_thread import TdpPerThreadSource
from wattprint.power.cpu.placement import Placement, find_placement
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.power.cpu.tdp import TdpModelSource
from wattprint.power.gpu.presence import amd_absent, nvidia_absent
from wattprint.power.ram import RamModelSource
from wattprint.provenance import GpuAttribution


class ProbeContext:
    """What the probes may look at: injectable roots, environment and clock.

    A plain class with slots: cheaper to define than a dataclass, at every start.

    Attributes:
        env: the environment.
        procfs_root: where ``/proc`` is.
        cgroup_root: where the cgroup file system is.
        rapl_dir: the powercap folder; None: the default (or the environment's).
        force_power_w: constant powers set by the user, per component. Units: W.
        cpu_table: the CPU TDP table.
        load_curve: the power-versus-load curve of the TDP model.
        clock: the monotonic clock the sources read. Units: s.
        gpu_ids: GPUs to read (indices or UUIDs); None: ``CUDA_VISIBLE_DEVICES``, else all.
        gpu_attribution: process mode's GPU rule: per-process data (whole in a
            container), or ``whole``.
        cache_dir: where the CPU match is cached (default: the user cache directory).
        allocation: CPUs and memory (bytes) a batch scheduler allocated here, and its name.
        instance_type: the cloud instance type; None: ``WATTPRINT_CLOUD_INSTANCE_TYPE``,
            else DMI's (AWS).
        dmi_dir: the DMI folder; None: ``WATTPRINT_DMI_DIR``, else ``/sys/class/dmi/id``.
        cloud_tables: the cloud instance tables.
    """

    __slots__ = (
        "env",
        "procfs_root",
        "cgroup_root",
        "rapl_dir",
        "force_power_w",
        "cpu_table",
        "load_curve",
        "clock",
        "gpu_ids",
        "gpu_attribution",
        "cache_dir",
        "allocation",
        "instance_type",
        "dmi_dir",
        "cloud_tables",
        "_hardware",
        "_placement",
    )

    def __init__(
        self,
        env: Mapping[str, str],
        procfs_root: Path = Path("/proc"),
        cgroup_root: Path = Path("/sys/fs/cgroup"),
        rapl_dir: Path | None = None,
        force_power_w: Mapping[Component, float] | None = None,
        cpu_table: CpuTable | None = None,
        load_curve: LoadCurve | None = None,
        clock: Callable[[], float] = time.monotonic,
        gpu_ids: tuple[str, ...] | None = None,
        gpu_attribution: GpuAttribution = "process",
        cache_dir: Path | None = None,
        allocation: tuple[float | None, int | None, str] = (None, None, ""),
        instance_type: str | None = None,
        dmi_dir: Path | None = None,
        cloud_tables: CloudTables | None = None,
    ) -> None:
        self.env = env
        self.procfs_root = procfs_root
        self.cgroup_root = cgroup_root
        self.rapl_dir = rapl_dir
        self.force_power_w: Mapping[Component, float] = (
            {} if force_power_w is None else force_power_w
        )
        self.cpu_table = CpuTable() if cpu_table is None else cpu_table
        self.load_curve = LoadCurve() if load_curve is None else load_curve
        self.clock = clock
        self.gpu_ids = gpu_ids
        self.gpu_attribution: GpuAttribution = gpu_attribution
        self.cache_dir = cache_dir
        self.allocation = allocation
        self.instance_type = instance_type
        self.dmi_dir = dmi_dir
        self.cloud_tables = CloudTables() if cloud_tables is None else cloud_tables
        self._hardware: Hardware | None = None
        self._placement: Placement | None = None

    @property
    def placement(self) -> Placement:
        """Virtualisation, cloud profile, chip share and host share, found on first use."""
        if self._placement is None:
            self._placement = find_placement(
                self.hardware,
                procfs_root=self.procfs_root,
                env=self.env,
                dmi_dir=self.dmi_dir,
                instance_type=self.instance_type,
                table=self.cpu_table,
                cloud_tables=self.cloud_tables,
            )
        return self._placement

    @property
    def hardware(self) -> Hardware:
        """Read the CPU and memory once, on first use (bounded by an allocation)."""
        if self._hardware is None:
            cpu = read_cpu_info(procfs_root=self.procfs_root, cgroup_root=self.cgroup_root)
            ram = read_ram_total_bytes(self.procfs_root)
            cpus, memory, scheduler = self.allocation
            if cpus is not None and cpus < cpu.usable_cpus:
                limit = f"{scheduler} allocation of {cpus:g} CPUs"
                cpu = cpu._replace(
                    usable_cpus=cpus, limit="; ".join(filter(None, (cpu.limit, limit)))
                )
            if memory is not None and memory < ram:
                ram = memory
            cache = self.cache_dir if self.cache_dir is not None else user_cache_dir(self.env)
            self._hardware = Hardware(cpu, ram, self.cpu_table, cache / "cpu-match.tsv")
        return self._hardware


def _probe_forced(ctx: ProbeContext) -> ProbeOutcome:
    components = tuple(ctx.force_power_w) or ("cpu", "ram")
    if not ctx.force_power_w:
        return ProbeOutcome("constant", components, reason="no power set by the user")
    from wattprint.power.constant import ConstantPowerSource

    sources = tuple(
        ConstantPowerSource(component=c, power_w=w, clock=ctx.clock)
        for c, w in ctx.force_power_w.items()
    )
    listed = ", ".join(f"{s.component} {s.power_w:g} W" for s in sources)
    return ProbeOutcome("constant", components, sources, reason=f"set by the user: {listed}")


def _probe_rapl(ctx: ProbeContext) -> ProbeOutcome:
    from wattprint.power.cpu.rapl import probe_rapl  # its modules load with the probe

    return probe_rapl(ctx.rapl_dir, ctx.env)


def _probe_cloud(ctx: ProbeContext) -> ProbeOutcome:
    place = ctx.placement
    profile = place.profile
    if profile is None:
        return ProbeOutcome("cloud-instance", ("cpu", "ram"), reason=place.profile_reason)
    usable = ctx.hardware.cpu.usable_cpus
    sources = [
        CloudProfileSource(
            component="cpu",
            points=profile.cpu_points,
            usable_cpus=usable,
            machine=MachineCpu(procfs_root=ctx.procfs_root),
            detail=f"{profile.detail} ({place.virtual.how})",
            clock=ctx.clock,
        )
    ]
    if profile.ram_points is not None:
        sources.append(
            CloudProfileSource(
                component="ram",
                points=profile.ram_points,
                usable_cpus=usable,
                machine=MachineCpu(procfs_root=ctx.procfs_root),
                detail=profile.detail.replace("package power", "memory power (RAMWatt)")
                + f"; memory {profile.ram_points[0][1]:.3g}-{profile.ram_points[-1][1]:.3g} W",
                clock=ctx.clock,
            )
        )
    return ProbeOutcome(
        "cloud-instance", ("cpu", "ram"), tuple(sources), reason=f"uses {profile.detail}"
    )


def _probe_cpu_model(ctx: ProbeContext) -> ProbeOutcome:
    hw = ctx.hardware
    place = ctx.placement
    if place.virtual.is_virtual:
        per_thread = TdpPerThreadSource(
            share=lambda: place.chip,
            virtual_how=place.virtual.how,
            hardware=hw,
            curve=ctx.load_curve,
            machine=MachineCpu(procfs_root=ctx.procfs_root),
            clock=ctx.clock,
        )
        reason = (
            f"estimates {hw.cpu.brand!r} on a virtual machine ({place.virtual.how}) from its "
            "TDP per hardware thread x the usable vCPUs x a load curve"
        )
        return ProbeOutcome("cpu-tdp-model", ("cpu",), (per_thread,), reason=reason)
    source = TdpModelSource(
        hardware=hw,
        curve=ctx.load_curve,
        machine=MachineCpu(procfs_root=ctx.procfs_root),
        clock=ctx.clock,
    )
    reason = (
        f"estimates {hw.cpu.brand!r} from its TDP (CPU table) x a load curve "
        "over the measured CPU time"
    )
    return ProbeOutcome("cpu-tdp-model", ("cpu",), (source,), reason=reason)


def _probe_gpu(vendor: str) -> Callable[[ProbeContext], ProbeOutcome]:
    def probe(ctx: ProbeContext) -> ProbeOutcome:
        absent = nvidia_absent() if vendor == "nvidia" else amd_absent()
        if absent is not None:  # no backend import needed to know
            name = "NVIDIA" if vendor == "nvidia" else "AMD"
            return ProbeOutcome(
                vendor, ("gpu",), reason=f"no {name} GPU: {absent[0]}", advice=absent[1]
            )
        try:
            if vendor == "nvidia":
                from wattprint.power.gpu.nvidia import probe_nvidia

                return probe_nvidia(
                    ctx.env, ctx.gpu_ids, clock=ctx.clock, attribution=ctx.gpu_attribution,
                    procfs_root=ctx.procfs_root,
                )  # fmt: skip
            from wattprint.power.gpu.amd import probe_amd

            return probe_amd(ctx.env, ctx.gpu_ids, clock=ctx.clock, attribution=ctx.gpu_attribution)
        except ConfigError as err:
            if ctx.gpu_ids is not None:
                raise  # the user's own gpu_ids: a bad value is an error
            return ProbeOutcome(vendor, ("gpu",), reason=f"no {vendor} GPU selected: {err}")
        except Exception as err:  # a vendor library must never stop the run or the command
            why = f"{type(err).__name__}: {err}"
            return ProbeOutcome(
                vendor, ("gpu",), reason=f"no {vendor} GPU: the probe failed: {why}"
            )

    return probe


def _probe_ram_model(ctx: ProbeContext) -> ProbeOutcome:
    source = RamModelSource(total_bytes=ctx.hardware.ram_total_bytes, clock=ctx.clock)
    return ProbeOutcome("ram-model", ("ram",), (source,), reason=source.detail)


Probe = tuple[str, tuple[Component, ...], Callable[[ProbeContext], ProbeOutcome]]

PROBES: tuple[Probe, ...] = (
    ("constant", ("cpu", "ram"), _probe_forced),
    ("rapl", ("cpu", "ram"), _probe_rapl),
    ("cloud-instance", ("cpu", "ram"), _probe_cloud),
    ("cpu-tdp-model", ("cpu",), _probe_cpu_model),
    ("ram-model", ("ram",), _probe_ram_model),
    ("nvidia", ("gpu",), _probe_gpu("nvidia")),
    ("amd", ("gpu",), _probe_gpu("amd")),
)
"""Probes in order of preference: user-set, hardware counters, then models (a cloud
instance's profile before the TDP model, which on a VM is scaled per thread)."""


class Discovery(NamedTuple):
    """Every probe's outcome, and the one source chosen per component.

    Attributes:
        hardware: the CPU and memory found.
        outcomes: what each probe found, in probe order.
        chosen: the source used for each component that has one.
        placement: virtualisation, cloud profile and shares (None: not probed).
    """

    hardware: Hardware
    outcomes: tuple[ProbeOutcome, ...]
    chosen: tuple[PowerSource, ...]
    placement: Placement | None = None

    @property
    def host(self) -> HostShare | None:
        """The share of its host server this machine reserves (embodied), found on first use."""
        return self.placement.host if self.placement is not None else None

    def source_for(self, component: Component) -> PowerSource | None:
        """Return the chosen source of ``component``, if any."""
        return next((s for s in self.chosen if s.component == component), None)

    def close(self) -> None:
        """Close the chosen sources."""
        for source in self.chosen:
            source.close()


def discover(ctx: ProbeContext | None = None) -> Discovery:
    """Run the probes in order and choose one source per component."""
    ctx = ctx or ProbeContext(env=os.environ)
    outcomes: list[ProbeOutcome] = []
    chosen: dict[Component, PowerSource] = {}
    for name, components, probe in PROBES:
        if all(c in chosen for c in components):
            by = ", ".join(f"{c} by {chosen[c].name}" for c in components)
            outcomes.append(ProbeOutcome(name, components, reason=f"not needed: {by}"))
            continue
        outcome = probe(ctx)
        outcomes.append(outcome)
        for source in outcome.sources:
            if source.component in chosen:
                source.close()
            else:
                chosen[source.component] = source
    return Discovery(
        hardware=ctx.hardware,
        outcomes=tuple(outcomes),
        chosen=tuple(chosen[c] for c in COMPONENTS if c in chosen),
        placement=ctx.placement,
    )

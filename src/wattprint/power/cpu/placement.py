"""Where this machine sits: physical or virtual, which cloud, which chip, which host.

Gathers, once per discovery, what the CPU and RAM probes and the embodied
share need: cpuinfo's CPUID fields, the virtualisation verdict, the cloud
instance's power profile (or why none), the VM's share of its chip, and its
share of the host server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wattprint.power.cpu.cloud_profiles import CloudProfile, CloudTables, choose_profile
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.host_share import HostShare, host_share
from wattprint.power.cpu.models import CpuTable
from wattprint.power.cpu.per_thread import ChipShare, chip_share
from wattprint.power.cpu.virtual import (
    CpuIds,
    Virtualization,
    detect_virtualization,
    dmi_dir_of,
    microarchitecture_from_ids,
    read_cpu_ids,
)


@dataclass(frozen=True, slots=True)
class Placement:
    """What is known of this machine's place on its hardware.

    Attributes:
        ids: cpuinfo's CPUID fields and threads per core.
        virtual: whether it is a VM, and its cloud and instance type.
        chip: the VM's share of its chip (None on a physical machine).
        profile: the cloud instance's power profile, or None.
        profile_reason: why there is no profile, for people.
        host: the share of its host server reserved (for embodied).
    """

    ids: CpuIds
    virtual: Virtualization
    chip: ChipShare | None
    profile: CloudProfile | None
    profile_reason: str
    host: HostShare


def find_placement(
    hardware: Hardware,
    *,
    procfs_root: Path,
    env: Mapping[str, str],
    dmi_dir: Path | None,
    instance_type: str | None,
    table: CpuTable,
    cloud_tables: CloudTables,
) -> Placement:
    """Read cpuinfo and DMI and choose the chip share, cloud profile and host share."""
    ids = read_cpu_ids(procfs_root)
    virtual = detect_virtualization(
        ids,
        dmi_dir=dmi_dir or dmi_dir_of(env),
        instance_type=instance_type or env.get("WATTPRINT_CLOUD_INSTANCE_TYPE") or None,
    )
    chip = chip_share(hardware, ids, table) if virtual.is_virtual else None
    profile, reason = choose_profile(
        cloud_tables,
        provider=virtual.provider,
        instance_type=virtual.instance_type,
        brand=hardware.cpu.brand,
        arch_from_ids=microarchitecture_from_ids(ids),
        usable_cpus=hardware.cpu.usable_cpus,
    )
    instance = profile.instance if profile is not None else None
    if instance is None and virtual.instance_type:
        instance = cloud_tables.instance(virtual.provider, virtual.instance_type)
    host = host_share(hardware, virtual, chip, instance)
    return Placement(ids, virtual, chip, profile, reason, host)

"""Where this machine sits: physical or virtual, which cloud, which chip, which host.

Gathers, once per discovery, what the CPU and RAM probes and the embodied
share need: cpuinfo's CPUID fields, the virtualisation verdict, the cloud
instance's power profile (or why none), the VM's share of its chip, and its
share of the host server.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from wattprint.power.cpu.cloud_profiles import (
    CloudProfile,
    CloudTables,
    InstanceType,
    choose_profile,
)
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


class Placement:
    """What is known of this machine's place on its hardware.

    The chip share and the host share need the CPU's table match, which is
    kept off ``start()`` (see :attr:`Hardware.cpu_match`): they are worked out
    on first use (the model's first sample, the embodied share at the end).

    Attributes:
        ids: cpuinfo's CPUID fields and threads per core.
        virtual: whether it is a VM, and its cloud and instance type.
        profile: the cloud instance's power profile, or None.
        profile_reason: why there is no profile, for people.
    """

    def __init__(
        self,
        hardware: Hardware,
        table: CpuTable,
        ids: CpuIds,
        virtual: Virtualization,
        profile: CloudProfile | None,
        profile_reason: str,
        instance: InstanceType | None,
    ) -> None:
        self._hardware = hardware
        self._table = table
        self._instance = instance
        self.ids = ids
        self.virtual = virtual
        self.profile = profile
        self.profile_reason = profile_reason

    @functools.cached_property
    def chip(self) -> ChipShare | None:
        """The VM's share of its chip; None on a physical machine."""
        if not self.virtual.is_virtual:
            return None
        return chip_share(self._hardware, self.ids, self._table)

    @functools.cached_property
    def host(self) -> HostShare:
        """The share of its host server this machine reserves (for embodied)."""
        return host_share(self._hardware, self.virtual, self.chip, self._instance)


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
    """Read cpuinfo and DMI and choose the cloud profile; chip and host shares follow lazily."""
    ids = read_cpu_ids(procfs_root)
    virtual = detect_virtualization(
        ids,
        dmi_dir=dmi_dir or dmi_dir_of(env),
        instance_type=instance_type or env.get("WATTPRINT_CLOUD_INSTANCE_TYPE") or None,
    )
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
    return Placement(hardware, table, ids, virtual, profile, reason, instance)

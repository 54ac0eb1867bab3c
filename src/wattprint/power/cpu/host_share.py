"""How much of its host server this machine reserves, for the embodied share.

The embodied emissions of a server are charged to a run by the share of the
server it reserved (GSF SCI: resources reserved / total resources). That
share, and the server it is a share of, depend on where the run is:

- **a cloud instance in Cloud Carbon Footprint's table**: the platform's
  embodied total (kg CO2e, CCF) and usable vCPUs / the platform's vCPUs
  (CCF's own allocation); where CCF gives the total but not the platform's
  vCPUs, two chips of the instance's CPU are assumed;
- **another virtual machine**: a two-socket host of the chip the VM sees
  (the usual cloud server; CCF's platforms are two-socket too), so usable
  vCPUs / (2 x the chip's threads); the host's memory is taken to be the
  VM's memory per vCPU times the host's threads, so the VM is charged
  exactly its own memory;
- **a physical machine**: the machine itself, usable CPUs / logical CPUs
  (a container's quota, an affinity mask, a batch allocation).
"""

from __future__ import annotations

from wattprint._record import NamedTuple
from wattprint.power.cpu.cloud_profiles import InstanceType
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.per_thread import ChipShare
from wattprint.power.cpu.virtual import Virtualization
from wattprint.units import BYTES_PER_GB

ASSUMED_HOST_SOCKETS = 2
"""CPU sockets of the host of a virtual machine (a two-socket server)."""


class HostShare(NamedTuple):
    """The server a run's machine is part of, and the share of it reserved.

    Attributes:
        share: the part of the server reserved, 0..1.
        sockets: CPU sockets of the server.
        ram_gb: memory of the server. Units: GB.
        platform_embodied_kg: the server's embodied total from a per-instance
            figure (CCF), or None to estimate it from sockets and memory.
            Units: kg CO2e.
        rule: how the share was found, for people.
    """

    share: float
    sockets: int
    ram_gb: float
    platform_embodied_kg: float | None
    rule: str


def host_share(
    hardware: Hardware,
    virtual: Virtualization,
    chip: ChipShare | None,
    instance: InstanceType | None,
) -> HostShare:
    """Return the share of its host server this machine reserves (see the module doc)."""
    cpu = hardware.cpu
    ram_gb = hardware.ram_total_bytes / BYTES_PER_GB
    usable = cpu.usable_cpus
    if instance is not None and instance.platform_embodied_kg is not None:
        platform = instance.platform_vcpus
        how = f"{instance.name}'s platform of {platform} vCPUs (CCF)"
        if platform is None:
            per_chip = chip.chip_threads if chip is not None else cpu.logical_cpus
            platform = ASSUMED_HOST_SOCKETS * per_chip
            how = f"{instance.name}'s platform, taken as {ASSUMED_HOST_SOCKETS} x {per_chip} vCPUs"
        share = min(1.0, usable / platform)
        rule = (
            f"{usable:g} usable vCPUs of {how}; platform embodied "
            f"{instance.platform_embodied_kg:g} kg (Cloud Carbon Footprint)"
        )
        return HostShare(share, ASSUMED_HOST_SOCKETS, ram_gb, instance.platform_embodied_kg, rule)
    if virtual.is_virtual and chip is not None:
        host_threads = ASSUMED_HOST_SOCKETS * chip.chip_threads
        share = min(1.0, usable / host_threads)
        host_ram_gb = ram_gb * host_threads / max(1, cpu.logical_cpus)
        rule = (
            f"{usable:g} usable vCPUs of a {ASSUMED_HOST_SOCKETS}-socket host of "
            f"{chip.chip_threads}-thread chips ({host_threads} threads) for its chassis and "
            f"sockets, and the VM's own {ram_gb * usable / max(1, cpu.logical_cpus):.1f} GB "
            "of memory"
        )
        return HostShare(share, ASSUMED_HOST_SOCKETS, host_ram_gb, None, rule)
    share = min(1.0, usable / cpu.logical_cpus)
    rule = f"{usable:g} usable CPUs of this machine's {cpu.logical_cpus}"
    if cpu.limit:
        rule += f" ({cpu.limit})"
    return HostShare(share, cpu.sockets, ram_gb, None, rule)

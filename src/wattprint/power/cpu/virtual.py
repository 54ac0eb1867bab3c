"""Whether this machine is a virtual machine, and what its CPU really is.

A virtual machine (a cloud instance, a VM on a shared host) sees a few
hardware threads of a large chip, yet its ``/proc/cpuinfo`` names the whole
chip. Charging it the chip's full TDP overstates its power many times over,
so the CPU model needs to know:

- **whether the machine is virtual**: the ``hypervisor`` flag that x86
  hypervisors set in CPUID (listed in the ``flags`` line of
  ``/proc/cpuinfo``), else a hypervisor's name in the DMI strings
  (``/sys/class/dmi/id/sys_vendor`` and ``product_name``: QEMU, KVM, VMware,
  Xen, VirtualBox, Microsoft's ``Virtual Machine``, Amazon EC2, Google);
- **which cloud, and which instance type**: DMI, with cloud-init's rules
  (``sys_vendor`` ``Amazon EC2`` on AWS Nitro, whose ``product_name`` is the
  instance type, e.g. ``m5.xlarge``; ``product_name`` ``Google Compute
  Engine`` on GCP; the chassis asset tag ``7783-7084-3265-9085-8269-3286-77``
  on Azure), or the instance type the user set;
- **threads per core** of the chip (``siblings`` / ``cpu cores``), and its
  CPUID family and model, which tell the microarchitecture when the brand
  string hides the model (GCP's ``Intel(R) Xeon(R) CPU @ 2.20GHz``).

``WATTPRINT_DMI_DIR`` points at another DMI folder (tests, containers with a
copy of the host's).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from wattprint._record import NamedTuple

DEFAULT_DMI_DIR = Path("/sys/class/dmi/id")
AZURE_CHASSIS_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"

_HYPERVISOR_VENDORS = (
    ("qemu", "QEMU"),
    ("kvm", "KVM"),
    ("vmware", "VMware"),
    ("xen", "Xen"),
    ("innotek", "VirtualBox"),
    ("virtualbox", "VirtualBox"),
    ("parallels", "Parallels"),
    ("bochs", "Bochs"),
    ("openstack", "OpenStack"),
    ("amazon ec2", "Amazon EC2"),
    ("google", "Google Compute Engine"),
    ("virtual machine", "Hyper-V"),
)


class CpuIds(NamedTuple):
    """What ``/proc/cpuinfo`` says of the chip beyond its brand.

    Attributes:
        vendor_id: ``GenuineIntel``, ``AuthenticAMD``, or empty.
        family: CPUID family, or None.
        model: CPUID model, or None.
        stepping: CPUID stepping, or None.
        threads_per_core: ``siblings`` / ``cpu cores`` (1 without SMT), or
            None when cpuinfo does not say.
        hypervisor_flag: the ``hypervisor`` CPU flag is set.
    """

    vendor_id: str = ""
    family: int | None = None
    model: int | None = None
    stepping: int | None = None
    threads_per_core: int | None = None
    hypervisor_flag: bool = False


class Virtualization(NamedTuple):
    """Whether this machine is virtual, and in which cloud.

    Attributes:
        is_virtual: a hypervisor runs this machine.
        provider: ``aws``, ``gcp`` or ``azure`` when DMI says so, else None.
        instance_type: the cloud instance type (DMI on AWS, or the user's),
            or None.
        how: the evidence, for people; empty for a physical machine.
    """

    is_virtual: bool
    provider: str | None = None
    instance_type: str | None = None
    how: str = ""


def read_cpu_ids(procfs_root: Path = Path("/proc")) -> CpuIds:
    """Read the first processor's CPUID fields, SMT and flags from cpuinfo."""
    try:
        text = (procfs_root / "cpuinfo").read_text(errors="replace")
    except OSError:
        return CpuIds()
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break  # the first processor is enough
            continue
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())

    def number(key: str) -> int | None:
        value = fields.get(key, "")
        return int(value) if value.isdigit() else None

    siblings, cores = number("siblings"), number("cpu cores")
    per_core = siblings // cores if siblings and cores and siblings >= cores else None
    return CpuIds(
        vendor_id=fields.get("vendor_id", ""),
        family=number("cpu family"),
        model=number("model"),
        stepping=number("stepping"),
        threads_per_core=per_core,
        hypervisor_flag="hypervisor" in fields.get("flags", "").split(),
    )


def dmi_dir_of(env: Mapping[str, str]) -> Path:
    """Return the DMI folder: ``WATTPRINT_DMI_DIR`` when set, else the system's."""
    return Path(env.get("WATTPRINT_DMI_DIR") or DEFAULT_DMI_DIR)


def _dmi(dmi_dir: Path, name: str) -> str:
    try:
        return (dmi_dir / name).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:  # missing, or readable by root only
        return ""


def _cloud(dmi_dir: Path) -> tuple[str, str | None] | None:
    """Return the provider and the DMI instance type (AWS Nitro only), or None."""
    vendor, product = _dmi(dmi_dir, "sys_vendor"), _dmi(dmi_dir, "product_name")
    if vendor == "Amazon EC2" or _dmi(dmi_dir, "bios_vendor") == "Amazon EC2":
        # Nitro puts the instance type in product_name ('m5.xlarge', 'c7i.metal-24xl').
        return "aws", (product if "." in product else None)
    if "amazon" in _dmi(dmi_dir, "bios_version").lower():
        return "aws", None  # Xen instances: product_name is 'HVM domU'
    if product == "Google Compute Engine" or _dmi(dmi_dir, "bios_vendor") == "Google":
        return "gcp", None
    if _dmi(dmi_dir, "chassis_asset_tag") == AZURE_CHASSIS_ASSET_TAG:
        return "azure", None
    return None


def detect_virtualization(
    ids: CpuIds, *, dmi_dir: Path = DEFAULT_DMI_DIR, instance_type: str | None = None
) -> Virtualization:
    """Tell whether this machine is virtual, and its cloud and instance type.

    Args:
        ids: the chip's fields from cpuinfo (for the ``hypervisor`` flag).
        dmi_dir: the DMI folder.
        instance_type: the instance type the user set; it wins over DMI's.

    Returns:
        The verdict with its evidence. A bare-metal cloud instance
        (``m5.metal``) is a cloud instance but not virtual.
    """
    evidence: list[str] = []
    if ids.hypervisor_flag:
        evidence.append("the 'hypervisor' CPU flag is set")
    vendor, product = _dmi(dmi_dir, "sys_vendor"), _dmi(dmi_dir, "product_name")
    dmi_text = f"{vendor} {product}".lower()
    named = next((name for key, name in _HYPERVISOR_VENDORS if key in dmi_text), None)
    if named is not None:
        evidence.append(f"DMI names {named} ({vendor!r}, {product!r})")
    cloud = _cloud(dmi_dir)
    provider = cloud[0] if cloud else None
    dmi_type = cloud[1] if cloud else None
    chosen = instance_type or dmi_type
    if cloud is not None:
        where = f"the user's {instance_type!r}" if instance_type else "DMI product_name"
        kind = f", instance type {chosen} ({where})" if chosen else ""
        evidence.append(f"DMI says {provider}{kind}")
    elif instance_type:
        evidence.append(f"instance type {instance_type} set by the user")
    metal = chosen is not None and "metal" in chosen
    is_virtual = (ids.hypervisor_flag or named is not None) and not metal
    return Virtualization(is_virtual, provider, chosen, "; ".join(evidence))


def microarchitecture_from_ids(ids: CpuIds) -> str | None:
    """Return the server microarchitecture the CPUID family and model name, or None.

    Names as Cloud Carbon Footprint's coefficient tables spell them. Intel
    family 6: model 45 Sandy Bridge, 62 Ivy Bridge, 63 Haswell, 79 Broadwell,
    85 Skylake (stepping <= 4) or Cascade Lake (5 to 7), 106 Ice Lake, 143
    Sapphire Rapids, 207 Emerald Rapids, 173 Granite Rapids. AMD family 23:
    model 1 EPYC 1st Gen (Naples), 49 EPYC 2nd Gen (Rome); family 25: model 1
    EPYC 3rd Gen (Milan), 17 and 160 EPYC 4th Gen (Genoa, Bergamo); family 26:
    EPYC 5th Gen (Turin). Sources: Intel's and AMD's processor identification
    (the models Linux's ``arch/x86/include/asm/intel-family.h`` names).
    """
    if ids.vendor_id == "GenuineIntel" and ids.family == 6 and ids.model is not None:
        if ids.model == 85:
            if ids.stepping is None:
                return None
            return "Skylake" if ids.stepping <= 4 else "Cascade Lake" if ids.stepping <= 7 else None
        return {
            45: "Sandy Bridge",
            62: "Ivy Bridge",
            63: "Haswell",
            79: "Broadwell",
            106: "Ice Lake",
            143: "Sapphire Rapids",
            207: "Emerald Rapids",
            173: "Granite Rapids",
        }.get(ids.model)
    if ids.vendor_id == "AuthenticAMD" and ids.family is not None and ids.model is not None:
        if ids.family == 26:
            return "EPYC 5th Gen"
        return {
            (23, 1): "EPYC 1st Gen",
            (23, 49): "EPYC 2nd Gen",
            (25, 1): "EPYC 3rd Gen",
            (25, 17): "EPYC 4th Gen",
            (25, 160): "EPYC 4th Gen",
        }.get((ids.family, ids.model))
    return None

"""Build a machine's procfs, DMI and cgroup trees in a folder, as Linux lays them out.

``write_machine`` writes ``proc/cpuinfo`` (one stanza per logical CPU, with
the fields a real kernel prints: vendor_id, cpu family, model, model name,
stepping, physical id, siblings, cpu cores, flags), ``proc/stat`` (a busy
and an idle counter), ``proc/meminfo``, ``proc/self/cgroup`` and the cgroup
v2 ``cpu.max``, and ``dmi/`` with ``sys_vendor``, ``product_name`` and any
other DMI attribute given. The trees are what ``ProbeContext(procfs_root=...,
cgroup_root=..., dmi_dir=...)`` reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx"


@dataclass(frozen=True)
class Machine:
    """The roots of a written machine."""

    procfs_root: Path
    cgroup_root: Path
    dmi_dir: Path

    def set_stat(self, busy_ticks: int, idle_ticks: int) -> None:
        """Rewrite ``/proc/stat``'s first line with these cumulative ticks (USER_HZ)."""
        (self.procfs_root / "stat").write_text(
            f"cpu  {busy_ticks} 0 0 {idle_ticks} 0 0 0 0 0 0\n", encoding="utf-8"
        )


def write_machine(
    root: Path,
    *,
    brand: str,
    vcpus: int,
    vendor_id: str = "GenuineIntel",
    family: int = 6,
    model: int = 143,
    stepping: int = 8,
    threads_per_core: int = 2,
    hypervisor: bool = True,
    dmi: dict[str, str] | None = None,
    mem_kib: int = 16 * 1024 * 1024,
    cpu_max: str = "max 100000",
) -> Machine:
    """Write the trees of a machine with ``vcpus`` logical CPUs of ``brand``.

    Args:
        root: the folder to write into.
        brand: the ``model name`` line.
        vcpus: logical CPUs listed (one socket).
        vendor_id: ``GenuineIntel`` or ``AuthenticAMD``.
        family: CPUID family.
        model: CPUID model.
        stepping: CPUID stepping.
        threads_per_core: ``siblings`` / ``cpu cores``.
        hypervisor: list the ``hypervisor`` flag.
        dmi: DMI attributes (``sys_vendor``, ``product_name``...); none when None.
        mem_kib: ``MemTotal``. Units: KiB.
        cpu_max: the cgroup v2 ``cpu.max`` line (quota and period, µs).
    """
    proc, cgroup, dmi_dir = root / "proc", root / "cgroup", root / "dmi"
    for folder in (proc / "self", cgroup, dmi_dir):
        folder.mkdir(parents=True, exist_ok=True)
    flags = _FLAGS + (" ht" if threads_per_core > 1 else "") + (" hypervisor" if hypervisor else "")
    cores = max(1, vcpus // threads_per_core)
    stanzas = [
        f"processor\t: {i}\nvendor_id\t: {vendor_id}\ncpu family\t: {family}\n"
        f"model\t\t: {model}\nmodel name\t: {brand}\nstepping\t: {stepping}\n"
        f"physical id\t: 0\nsiblings\t: {vcpus}\ncore id\t\t: {i // threads_per_core}\n"
        f"cpu cores\t: {cores}\nflags\t\t: {flags}\n"
        for i in range(vcpus)
    ]
    (proc / "cpuinfo").write_text("\n".join(stanzas) + "\n", encoding="utf-8")
    (proc / "meminfo").write_text(
        f"MemTotal:       {mem_kib} kB\nMemFree:        {mem_kib // 2} kB\n"
        f"MemAvailable:   {mem_kib // 2} kB\n",
        encoding="utf-8",
    )
    (proc / "self" / "cgroup").write_text("0::/\n", encoding="utf-8")
    (cgroup / "cpu.max").write_text(cpu_max + "\n", encoding="utf-8")
    for name, value in (dmi or {}).items():
        (dmi_dir / name).write_text(value + "\n", encoding="utf-8")
    machine = Machine(proc, cgroup, dmi_dir)
    machine.set_stat(0, 0)
    return machine


def local_cpu_model_method() -> str:
    """Return the CPU model method this machine gets when DMI names no cloud.

    ``tdp-per-thread`` on a virtual machine (the ``hypervisor`` CPU flag is set),
    else ``tdp-x-load``: tests that run on the real ``/proc`` expect this one.
    """
    from wattprint.power.cpu.virtual import read_cpu_ids

    return "tdp-per-thread" if read_cpu_ids().hypervisor_flag else "tdp-x-load"

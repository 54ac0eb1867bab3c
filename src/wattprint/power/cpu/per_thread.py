"""The CPU model on a virtual machine: the chip's TDP shared per hardware thread.

A VM that sees 4 vCPUs of a 112-thread Xeon Platinum 8480+ has 4 of its
threads, not the chip. Its CPU power is modelled as

    P(t) = (TDP / chip threads) x usable vCPUs x curve(u)

the chip's TDP (from the CPU table) divided by the chip's hardware threads,
times the vCPUs this process may use, times the load curve of the TDP x load
model. The result is never more than the whole chips those vCPUs fill.

The chip's thread count comes, in order, from: the CPU table (AMD's product
pages, SPECpower results); the table's core count (Intel ARK) times the
threads per core cpuinfo shows (``siblings`` / ``cpu cores``, 2 when it does
not say); the ``N-Core`` of the brand string times the same; else the median
chip of recent SPECpower servers (``default_chip_threads``). A CPU missing
from the table whose brand gives its core count takes the median TDP of the
table's CPUs of the same line with that many cores (``AMD EPYC 9R14
96-Core`` takes the 96-core EPYCs' median); otherwise the default W per
thread x the chip's threads.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import time
from collections.abc import Callable

from wattprint._record import NamedTuple
from wattprint.errors import SourceUnavailableError
from wattprint.power.cpu.hardware import Hardware
from wattprint.power.cpu.models import CpuTable, LoadCurve
from wattprint.power.cpu.procfs import MachineCpu
from wattprint.power.cpu.tdp import TdpModelSource
from wattprint.power.cpu.virtual import CpuIds
from wattprint.tables import read_table

_N_CORE = r"(?i)\b(\d+)[- ]core\b"
"""A core count in a brand string (compiled on first use)."""
DEFAULT_THREADS_PER_CORE = 2
"""Threads per core assumed when cpuinfo does not say (2-way SMT, the server norm)."""


def default_chip_threads() -> int:
    """Return the median threads per chip of recent SPECpower servers (shipped table)."""
    text = read_table("wattprint.power", "cpu_defaults.csv", None, "CPU table")
    rows = csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#"))
    return next(int(float(r["value"])) for r in rows if r["key"] == "default_chip_threads")


def brand_cores(brand: str) -> int | None:
    """Return the core count a brand string states (``... 64-Core Processor``), or None."""
    found = re.search(_N_CORE, brand)
    return int(found.group(1)) if found and int(found.group(1)) > 0 else None


class ChipShare(NamedTuple):
    """The chip a VM runs on and the part of its power the VM's vCPUs are charged.

    Attributes:
        tdp_w: TDP of one chip. Units: W.
        chip_threads: hardware threads of one chip.
        usable_cpus: vCPUs this process may use.
        per_thread_w: TDP / chip threads. Units: W per thread.
        max_power_w: per-thread power x usable vCPUs, at most the chips they
            fill. Units: W.
        detail: where the TDP and the thread count come from, for people.
    """

    tdp_w: float
    chip_threads: int
    usable_cpus: float
    per_thread_w: float
    max_power_w: float
    detail: str


def chip_share(
    hardware: Hardware, ids: CpuIds, table: CpuTable, *, fallback_threads: int | None = None
) -> ChipShare:
    """Return the chip's TDP and threads and the VM's share of its power.

    Args:
        hardware: the machine (brand, usable CPUs, the TDP match).
        ids: cpuinfo's fields (threads per core).
        table: the CPU table (for a missing CPU's same-line siblings).
        fallback_threads: threads of a chip when nothing tells them; None
            for the shipped ``default_chip_threads``.
    """
    cpu, match = hardware.cpu, hardware.cpu_match
    per_core = ids.threads_per_core or DEFAULT_THREADS_PER_CORE
    smt = f"{per_core} thread(s) per core" + ("" if ids.threads_per_core else " (assumed)")
    cores = match.cores or brand_cores(cpu.brand)
    if match.threads:
        threads, how = match.threads, f"{match.threads} threads per chip (CPU table)"
    elif cores:
        threads = cores * per_core
        origin = "CPU table" if match.cores else "brand string"
        how = f"{cores} cores ({origin}) x {smt} = {threads} threads per chip"
    else:
        threads = fallback_threads or default_chip_threads()
        how = f"chip threads unknown: {threads}, the median SPECpower server chip (2020 on)"
    tdp_w, tdp_how = match.tdp_w, match.detail
    if match.entry is None:
        siblings = table.tdp_for_cores(cpu.brand, cores) if cores else None
        if siblings is not None:
            tdp_w = siblings[0]
            tdp_how = (
                f"{cpu.brand!r} is not in the CPU table; median TDP {tdp_w:g} W of the "
                f"{len(siblings[1])} same-line CPUs with {cores} cores"
            )
        else:
            tdp_w = table.default_w_per_thread * threads
            tdp_how = (
                f"{cpu.brand!r} is not in the CPU table; default "
                f"{table.default_w_per_thread:g} W per thread x {threads} threads"
            )
    per_thread_w = tdp_w / threads
    chips = max(1, math.ceil(cpu.usable_cpus / threads))
    max_power_w = min(per_thread_w * cpu.usable_cpus, tdp_w * chips)
    detail = (
        f"{tdp_how}; {how}; {tdp_w:g} W / {threads} = {per_thread_w:.3g} W per thread x "
        f"{cpu.usable_cpus:g} vCPUs = {max_power_w:.1f} W at full load"
    )
    return ChipShare(tdp_w, threads, cpu.usable_cpus, per_thread_w, max_power_w, detail)


class TdpPerThreadSource(TdpModelSource):
    """The TDP x load model scaled to a VM's share of the chip's threads.

    ``share`` is called once, at the first reading or description.
    """

    name = "cpu-tdp-per-thread"
    method = "tdp-per-thread"

    def __init__(
        self,
        *,
        share: Callable[[], ChipShare | None],
        virtual_how: str,
        hardware: Hardware,
        curve: LoadCurve,
        machine: MachineCpu,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(hardware=hardware, curve=curve, machine=machine, clock=clock)
        self._share = share
        self._virtual_how = virtual_how

    @functools.cached_property
    def chip(self) -> ChipShare:
        """The chip and the VM's share of it, worked out on first use (the table match)."""
        share = self._share()
        if share is None:  # the caller only opens this source on a virtual machine
            raise SourceUnavailableError(self.name, "not a virtual machine")
        return share

    @property
    def max_power_w(self) -> float:
        """Modelled power at full load of the usable vCPUs. Units: W."""
        return self.chip.max_power_w

    @property
    def detail(self) -> str:
        """Describe the chip, the VM's share of it and the curve."""
        idle = self._curve.fraction(0.0)
        return (
            f"virtual machine ({self._virtual_how}); {self.chip.detail}; "
            f"{idle * 100:.0f} % of that when idle (load curve fitted on RAPL measurements)"
        )

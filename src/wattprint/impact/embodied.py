"""Embodied emissions: the share of hardware manufacturing a run is charged.

Building a server emits CO2e before it runs a single job (raw materials,
chips, assembly, transport). The Green Software Foundation's Software Carbon
Intensity specification (SCI v1.0, published as ISO/IEC 21031:2024) charges
a piece of software a linear share of that total:

    M = TE x (TiR / EL) x (RR / ToR)

where TE is the hardware's total embodied emissions, TiR the time it was
reserved for the software, EL its expected lifespan, and RR / ToR the share
of its resources reserved (e.g. 8 of 64 vCPUs).

When no manufacturer figure is known, ``default_embodied`` builds TE from
one cited figure per component class (``SOURCES.md`` lists them all):

- server chassis, mainboard, power supplies and fans: what remains of Cloud
  Carbon Footprint's 1,000 kg baseline server once its one CPU and 16 GB of
  DRAM are taken out at CCF's own per-unit figures;
- CPU socket: 100 kg (CCF);
- RAM: 533 kg / 384 GB = 1.388 kg per GB (Dell PowerEdge R740 LCA, via CCF);
- GPU board, by memory class: 127.6 kg up to 40 GB (A100 SXM 40 GB,
  Falk et al. 2025), 164 kg up to 80 GB (NVIDIA HGX H100 PCF / 8), 284.25 kg
  above (NVIDIA HGX B200 PCF / 8).

The share reserved (RR / ToR) is the part of the host server the run's
machine holds: a cloud instance's vCPUs over its platform's, a VM's vCPUs
over a two-socket host of its chip, a physical machine's usable CPUs over
its logical CPUs (chosen in ``power/cpu/host_share.py``; the default server
is checked against Dell's R710 LCA in ``SOURCES.md``).
"""

from __future__ import annotations

import math

from wattprint._record import NamedTuple, record
from wattprint.errors import ConfigError

S_PER_YEAR = 365 * 24 * 3600
"""Seconds in a 365-day year (8,760 h), the year CCF uses: 4 years = 35,040 h."""

DEFAULT_LIFETIME_YEARS = 4.0
"""Expected server lifespan: 4 years (Cloud Carbon Footprint
``RACK_SERVER_LIFESPAN`` / ``SERVER_EXPECTED_LIFESPAN`` 35,040 h, Apache-2.0;
BoaviztAPI's server archetypes use the same 35,040 h). Cloud providers that
now book servers over 5-6 years would give a smaller share per second."""

CCF_BASELINE_SERVER_KG = 1000.0
"""CCF baseline: a one-socket rack server with 16 GB of DRAM and no local
storage, 1,000 kg CO2e (ccf-coefficients ``BASE_MANUFACTURING_EMISSIONS``,
Apache-2.0, from the Dell PowerEdge R740 LCA)."""

CCF_BASELINE_RAM_GB = 16.0
"""DRAM included in the CCF baseline server (``DRAM_THRESHOLD``), GB."""

CPU_SOCKET_KG = 100.0
"""One CPU socket, kg CO2e (CCF ``CPU_MANUFACTURING_EMISSIONS``)."""

RAM_KG_PER_GB = 533.0 / 384.0
"""DRAM, kg CO2e per GB: 533 kg for the 384 GB of the Dell PowerEdge R740
LCA (2019) = 1.38802 kg/GB (CCF ``DRAM_MANUFACTURING_EMISSIONS_PER_GB``)."""

CHASSIS_KG = CCF_BASELINE_SERVER_KG - CPU_SOCKET_KG - CCF_BASELINE_RAM_GB * RAM_KG_PER_GB
"""Chassis, mainboard, PSUs and fans: 1,000 - 100 - 16 x 533/384 = 877.79 kg."""

_CCF = "Cloud Carbon Footprint ccf-coefficients constants (Apache-2.0)"


class GpuBoardClass(NamedTuple):
    """Embodied emissions of one GPU board, for boards up to a memory size.

    Attributes:
        max_memory_gb: the largest memory (GB) in this class (``inf`` for
            the last class).
        kg_each: kg CO2e for one board, cradle to gate.
        source: the published figure it rests on.
    """

    max_memory_gb: float
    kg_each: float
    source: str


GPU_BOARD_CLASSES: tuple[GpuBoardClass, ...] = (
    GpuBoardClass(
        40.0,
        127.6,
        "Falk et al. (2025), More than Carbon, arXiv:2509.00093: A100 SXM 40 GB, cradle to gate",
    ),
    GpuBoardClass(
        80.0,
        1312.0 / 8,
        "NVIDIA HGX H100 PCF summary: 1,312 kg per 8-GPU baseboard / 8 (H100 SXM 80 GB)",
    ),
    GpuBoardClass(
        math.inf,
        2274.0 / 8,
        "NVIDIA HGX B200 PCF summary: 2,274 kg per 8-GPU baseboard / 8 (B200 180 GB)",
    ),
)
"""GPU boards by memory class, smallest first. Cards below 40 GB (consumer
and inference cards) get the A100 figure, which likely overstates them."""


@record(frozen=True, slots=True)
class EmbodiedPart:
    """One line of an embodied estimate: ``count`` x ``kg_each`` kg CO2e.

    Attributes:
        component: what it is, e.g. ``cpu socket``.
        count: how many (for RAM, the number of GB).
        kg_each: kg CO2e for one (for RAM, per GB).
        source: the published figure it rests on.
    """

    component: str
    count: float
    kg_each: float
    source: str


@record(frozen=True, slots=True)
class EmbodiedEstimate:
    """A machine's total embodied emissions and the parts they come from.

    Attributes:
        parts: the lines of the estimate.
        total_kg: sum of count x kg_each over the parts, kg CO2e.
    """

    parts: tuple[EmbodiedPart, ...]
    total_kg: float


def _require(key: str, value: float, ok: bool, accepted: str) -> None:
    if not math.isfinite(value) or not ok:
        raise ConfigError(key, value, accepted)


def embodied_share_kg(
    *,
    total_embodied_kg: float,
    duration_s: float,
    lifetime_years: float = DEFAULT_LIFETIME_YEARS,
    reserved_share: float = 1.0,
) -> float:
    """Return the embodied emissions charged to a run, kg CO2e.

    M = TE x (TiR / EL) x (RR / ToR): Green Software Foundation, Software
    Carbon Intensity specification v1.0 (ISO/IEC 21031:2024), with
    TE = ``total_embodied_kg``, TiR = ``duration_s``, EL = ``lifetime_years``
    of 365 days, and RR / ToR = ``reserved_share``.

    Args:
        total_embodied_kg: the hardware's total embodied emissions, kg CO2e.
        duration_s: how long the run reserved the hardware, s (a delta).
        lifetime_years: the hardware's expected lifespan, years (> 0).
        reserved_share: the share of the hardware reserved, 0 to 1.

    Example: 1,000 kg over 4 years, for 1 h on a quarter of the machine, is
    1000 x 3600 / (4 x 31,536,000) x 0.25 = 0.0071347 kg (7.13 g).

    Raises:
        ConfigError: naming the argument that is negative, not finite, a
            lifetime that is not > 0, or a share outside 0 to 1.
    """
    if not (
        math.isfinite(total_embodied_kg + duration_s + lifetime_years + reserved_share)
        and total_embodied_kg >= 0
        and duration_s >= 0
        and lifetime_years > 0
        and 0 <= reserved_share <= 1
    ):  # one test for all, as a report calls this once per run; the first bad one is named
        _require("total_embodied_kg", total_embodied_kg, total_embodied_kg >= 0, "kg CO2e >= 0")
        _require("duration_s", duration_s, duration_s >= 0, "seconds >= 0")
        _require("lifetime_years", lifetime_years, lifetime_years > 0, "years > 0")
        _require("reserved_share", reserved_share, 0 <= reserved_share <= 1, "a share from 0 to 1")
    lifetime_s = lifetime_years * S_PER_YEAR
    return total_embodied_kg * (duration_s / lifetime_s) * reserved_share


def gpu_board_class(memory_gb: float) -> GpuBoardClass:
    """Return the class of a GPU board with ``memory_gb`` GB of memory.

    Example: 80 GB (H100) is in the "up to 80 GB" class, 141 GB (H200) in
    the last one.

    Raises:
        ConfigError: if memory_gb is not a finite number > 0.
    """
    _require("gpu_memory_gb", memory_gb, memory_gb > 0, "GB > 0 for each GPU")
    return next(c for c in GPU_BOARD_CLASSES if memory_gb <= c.max_memory_gb)


def _gpu_label(c: GpuBoardClass) -> str:
    if math.isinf(c.max_memory_gb):
        previous = GPU_BOARD_CLASSES[GPU_BOARD_CLASSES.index(c) - 1].max_memory_gb
        return f"gpu board (over {previous:g} GB)"
    return f"gpu board (up to {c.max_memory_gb:g} GB)"


def default_embodied(
    *,
    cpu_sockets: int,
    gpu_memory_gb: tuple[float, ...] = (),
    ram_gb: float,
    chassis: bool = True,
) -> EmbodiedEstimate:
    """Return a machine's embodied emissions from one cited figure per class.

    total = chassis + sockets x 100 kg + ram_gb x 533/384 kg + sum over
    GPUs of their memory class's board figure (see the module docstring).
    Parts with a count of zero are left out.

    Args:
        cpu_sockets: CPU packages (>= 0).
        gpu_memory_gb: each GPU's memory, GB (each > 0); empty for none.
        ram_gb: installed DRAM, GB (>= 0).
        chassis: count the chassis, mainboard, PSUs and fans (877.79 kg);
            False when only some components are of interest.

    Example: 1 socket and 16 GB is 877.7917 + 100 + 22.2083 = 1,000 kg,
    CCF's baseline server.

    Raises:
        ConfigError: naming ``cpu_sockets``, ``ram_gb`` or ``gpu_memory_gb``
            when a value is out of range.
    """
    if isinstance(cpu_sockets, bool) or not isinstance(cpu_sockets, int) or cpu_sockets < 0:
        raise ConfigError("cpu_sockets", cpu_sockets, "a whole number >= 0")
    _require("ram_gb", ram_gb, ram_gb >= 0, "GB >= 0")
    classes = [gpu_board_class(m) for m in gpu_memory_gb]
    parts: list[EmbodiedPart] = []
    if chassis:
        parts.append(
            EmbodiedPart(
                "server chassis, mainboard, PSUs and fans",
                1,
                CHASSIS_KG,
                f"{_CCF}: 1,000 kg baseline server - 1 CPU socket - 16 GB DRAM",
            )
        )
    if cpu_sockets:
        parts.append(EmbodiedPart("cpu socket", cpu_sockets, CPU_SOCKET_KG, _CCF))
    if ram_gb:
        parts.append(
            EmbodiedPart(
                "ram (per GB)",
                ram_gb,
                RAM_KG_PER_GB,
                f"{_CCF}: 533 kg / 384 GB, Dell PowerEdge R740 LCA",
            )
        )
    for c in GPU_BOARD_CLASSES:
        count = classes.count(c)
        if count:
            parts.append(EmbodiedPart(_gpu_label(c), count, c.kg_each, c.source))
    total_kg = math.fsum(p.count * p.kg_each for p in parts)
    return EmbodiedEstimate(parts=tuple(parts), total_kg=total_kg)

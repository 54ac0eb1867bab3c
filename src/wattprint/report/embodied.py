"""A run's share of its machine's embodied emissions: as recorded, or estimated here.

Newer runs record their embodied share (``embodied_kg``, with how the
tracker obtained it); the report uses that figure as recorded. Older runs
and CodeCarbon's do not, so the report builds one with
:func:`wattprint.impact.embodied.default_embodied` from what the host record
says (memory, GPUs), with one CPU socket assumed (the records give logical
CPUs, not sockets), and charges the run its SCI share: the whole machine,
for the run's duration, over a 4-year life. Every assumption is written into
the line so a reader sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wattprint.impact.embodied import (
    DEFAULT_LIFETIME_YEARS,
    EmbodiedPart,
    default_embodied,
    embodied_share_kg,
)
from wattprint.records.record import RunRecord

ASSUMED_CPU_SOCKETS = 1
"""CPU packages assumed: records count logical CPUs, not sockets."""

ASSUMED_GPU_MEMORY_GB = 40.0
"""GPU memory assumed when the model name does not say it (the smallest board class)."""

_GB = re.compile(r"(\d+(?:\.\d+)?)\s*GB", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class EmbodiedLine:
    """The embodied estimate of a run's machine and the run's share of it.

    Attributes:
        recorded: True when the figure is the tracker's own (its inputs are
            then only described in ``assumptions``, and the next four are None).
        parts: the lines of the machine's estimate.
        total_embodied_kg: the machine's total, sum of count x kg_each. Units: kg CO2e.
        lifetime_years: the machine's expected life. Units: years of 365 days.
        reserved_share: the share of the machine charged to the run (0..1).
        duration_s: how long the run held it. Units: s.
        assumptions: what was assumed, for people.
        embodied_kg: total x duration / lifetime x share. Units: kg CO2e.
    """

    recorded: bool
    parts: tuple[EmbodiedPart, ...]
    total_embodied_kg: float | None
    lifetime_years: float | None
    reserved_share: float | None
    duration_s: float | None
    assumptions: tuple[str, ...]
    embodied_kg: float


def gpu_memory_gb(model: str | None, count: int) -> tuple[tuple[float, ...], bool]:
    """Return each GPU's memory from its model name, and whether it was assumed."""
    if count <= 0:
        return (), False
    found = _GB.search(model or "")
    if found is not None and float(found.group(1)) > 0:
        return (float(found.group(1)),) * count, False
    return (ASSUMED_GPU_MEMORY_GB,) * count, True


def embodied_of(record: RunRecord) -> EmbodiedLine | None:
    """Return the run's embodied line: as recorded, else estimated from the host record.

    None when the run recorded none and its memory or duration is unknown.
    """
    if record.embodied_kg is not None:
        return EmbodiedLine(
            recorded=True,
            parts=(),
            total_embodied_kg=None,
            lifetime_years=None,
            reserved_share=None,
            duration_s=record.duration_s,
            assumptions=(f"as recorded: {record.embodied_detail or 'no detail recorded'}",),
            embodied_kg=record.embodied_kg,
        )
    host = record.host
    if host.ram_total_gb is None or record.duration_s is None or record.duration_s < 0:
        return None
    gpus, gpu_assumed = gpu_memory_gb(host.gpu_model, host.gpu_count or 0)
    estimate = default_embodied(
        cpu_sockets=ASSUMED_CPU_SOCKETS, gpu_memory_gb=gpus, ram_gb=host.ram_total_gb
    )
    assumptions = [
        "default per-component figures (no manufacturer LCA of this machine)",
        f"{ASSUMED_CPU_SOCKETS} CPU socket (the record gives {host.cpu_count or '?'} "
        "logical CPUs, not sockets)",
        f"{host.ram_total_gb:.1f} GB of memory, as recorded",
        f"the whole machine charged for the run's duration, over a "
        f"{DEFAULT_LIFETIME_YEARS:g}-year life",
    ]
    if gpu_assumed:
        assumptions.append(
            f"{len(gpus)} GPU(s) of {ASSUMED_GPU_MEMORY_GB:g} GB each (memory not in "
            f"the model name {host.gpu_model!r})"
        )
    if host.gpu_count is None:
        assumptions.append("GPU count unknown: no GPU counted")
    return EmbodiedLine(
        recorded=False,
        parts=estimate.parts,
        total_embodied_kg=estimate.total_kg,
        lifetime_years=DEFAULT_LIFETIME_YEARS,
        reserved_share=1.0,
        duration_s=record.duration_s,
        assumptions=tuple(assumptions),
        embodied_kg=embodied_share_kg(
            total_embodied_kg=estimate.total_kg,
            duration_s=record.duration_s,
            lifetime_years=DEFAULT_LIFETIME_YEARS,
            reserved_share=1.0,
        ),
    )

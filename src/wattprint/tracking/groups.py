"""Jobs of many processes: one run group, each host counted once.

A job launched by torchrun / torch.distributed, accelerate, DeepSpeed, MPI or
SLURM runs one tracker per process (rank). Each rank's row carries the group
id, its host name and rank, so the group can be summed into one job total.
In machine mode only local rank 0 of each host measures the host (the other
ranks record nothing for shared devices); in process mode each rank records
its own share. Under SLURM, the job's allocated CPUs and memory on the node
are what the CPU and memory models are scaled to.

The group id comes from ``WATTPRINT_RUN_GROUP``, else the launcher:
``TORCHELASTIC_RUN_ID`` (torchrun; its default ``none`` is not an id),
``SLURM_JOB_ID`` (with ``SLURM_STEP_ID``), ``PMIX_NAMESPACE`` (Open MPI and
other PMIx launchers), ``OMPI_MCA_orte_hnp_uri``'s job family, or
``MASTER_ADDR:MASTER_PORT`` when torch.distributed variables are all there is.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from wattprint._record import NamedTuple

if TYPE_CHECKING:
    from wattprint.power.base import Component
    from wattprint.power.discovery import Discovery
    from wattprint.settings.resolve import Settings

_RANKS: tuple[tuple[str, str, str, str], ...] = (
    # launcher, rank, local rank, world size
    ("torch", "RANK", "LOCAL_RANK", "WORLD_SIZE"),
    ("mpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_SIZE"),
    ("mpi", "PMIX_RANK", "MPI_LOCALRANKID", "PMI_SIZE"),
    ("mpi", "PMI_RANK", "MPI_LOCALRANKID", "PMI_SIZE"),
    ("slurm", "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS"),
)


class RunGroup(NamedTuple):  # a named tuple: cheaper to define than a dataclass
    """The place of this process in a job of many processes.

    Attributes:
        group_id: the id shared by every rank of the job.
        launcher: what launched it (``torchrun``, ``slurm``, ``mpi``, ...).
        rank: global rank (0 when unknown).
        local_rank: rank among the job's processes on this host.
        world_size: number of ranks, if known.
        host: this host's name.
        allocated_cpus: CPUs the job may use on this node (SLURM), if known.
        allocated_memory_bytes: memory the job may use on this node (SLURM). Units: bytes.
    """

    group_id: str
    launcher: str
    rank: int
    local_rank: int
    world_size: int | None
    host: str
    allocated_cpus: float | None = None
    allocated_memory_bytes: int | None = None

    @property
    def measures_host(self) -> bool:
        """True for the one process per host that measures shared devices in machine mode."""
        return self.local_rank == 0


def host_name() -> str:
    """Return this machine's host name (``os.uname``; ``socket`` only where there is none)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # pragma: no cover - Windows

    return socket.gethostname()  # pragma: no cover - Windows


def _int(env: Mapping[str, str], name: str) -> int | None:
    try:
        return int(env[name])
    except (KeyError, ValueError):
        return None


def _group_id(env: Mapping[str, str]) -> tuple[str, str] | None:
    if env.get("WATTPRINT_RUN_GROUP"):
        return env["WATTPRINT_RUN_GROUP"], "WATTPRINT_RUN_GROUP"
    run_id = env.get("TORCHELASTIC_RUN_ID", "")
    if run_id and run_id.lower() != "none":
        return f"torchrun-{run_id}", "torchrun"
    if env.get("SLURM_JOB_ID"):
        step = env.get("SLURM_STEP_ID")
        job = f"slurm-{env['SLURM_JOB_ID']}" + (f".{step}" if step else "")
        return job, "slurm"
    if env.get("PMIX_NAMESPACE"):
        return f"mpi-{env['PMIX_NAMESPACE']}", "mpi"
    if env.get("OMPI_MCA_orte_hnp_uri"):
        return f"mpi-{env['OMPI_MCA_orte_hnp_uri'].split(';')[0].split('.')[0]}", "mpi"
    if env.get("MASTER_ADDR") and env.get("MASTER_PORT") and "RANK" in env:
        launcher = "accelerate" if any(k.startswith("ACCELERATE_") for k in env) else "torch"
        return f"{launcher}-{env['MASTER_ADDR']}:{env['MASTER_PORT']}", launcher
    return None


def _slurm_allocation(env: Mapping[str, str]) -> tuple[float | None, int | None]:
    cpus = _int(env, "SLURM_CPUS_ON_NODE")
    memory = None
    per_node_mb = _int(env, "SLURM_MEM_PER_NODE")
    per_cpu_mb = _int(env, "SLURM_MEM_PER_CPU")
    if per_node_mb:
        memory = per_node_mb * 1024 * 1024
    elif per_cpu_mb and cpus:
        memory = per_cpu_mb * cpus * 1024 * 1024
    return (float(cpus) if cpus else None), memory


def detect_group(env: Mapping[str, str], *, host: str | None = None) -> RunGroup | None:
    """Return this process's run group from the launcher's variables, or None."""
    found = _group_id(env)
    if found is None:
        return None
    group_id, launcher = found
    rank = local_rank = 0
    world: int | None = None
    for _, rank_var, local_var, size_var in _RANKS:
        if rank_var in env:
            rank = _int(env, rank_var) or 0
            local = _int(env, local_var)
            local_rank = local if local is not None else rank
            world = _int(env, size_var)
            break
    cpus, memory = (
        _slurm_allocation(env)
        if launcher == "slurm" or "SLURM_JOB_ID" in env
        else (
            None,
            None,
        )
    )
    return RunGroup(
        group_id=group_id,
        launcher=launcher,
        rank=rank,
        local_rank=local_rank,
        world_size=world,
        host=host or host_name(),
        allocated_cpus=cpus,
        allocated_memory_bytes=memory,
    )


def discover_for_run(
    settings: Settings,
    env: Mapping[str, str],
    group: RunGroup | None,
    *,
    counts_host: bool,
    clock: Callable[[], float] = time.monotonic,
) -> Discovery:
    """Find the power sources a run uses: forced powers, SLURM allocation, rank rules.

    A rank that does not count the host (machine mode, local rank other than
    0) gets no source: another rank measures this host's shared devices.
    """
    from wattprint.power.discovery import Discovery, ProbeContext, discover

    forced: dict[Component, float] = {}
    if settings.force_cpu_power_w is not None:
        forced["cpu"] = settings.force_cpu_power_w
    if settings.force_ram_power_w is not None:
        forced["ram"] = settings.force_ram_power_w
    allocation: tuple[float | None, int | None, str] = (None, None, "")
    if group is not None:
        allocation = (group.allocated_cpus, group.allocated_memory_bytes, "SLURM")
    found = discover(
        ProbeContext(
            env=env,
            force_power_w=forced,
            allocation=allocation,
            gpu_ids=settings.gpu_ids,
            gpu_attribution=settings.gpu_attribution,
            clock=clock,
        )
    )
    if counts_host:
        return found
    found.close()
    return Discovery(found.hardware, found.outcomes, ())

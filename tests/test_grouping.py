"""Jobs of many processes: group ids, ranks, one measuring rank per host, SLURM allocation."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wattprint import Tracker
from wattprint.tracking.groups import detect_group


@pytest.mark.parametrize(
    ("env", "group_id", "launcher", "rank", "local_rank"),
    [
        ({"TORCHELASTIC_RUN_ID": "abc", "RANK": "5", "LOCAL_RANK": "1", "WORLD_SIZE": "8"},
         "torchrun-abc", "torchrun", 5, 1),
        ({"TORCHELASTIC_RUN_ID": "none", "RANK": "2", "LOCAL_RANK": "2", "MASTER_ADDR": "n1",
          "MASTER_PORT": "29500"}, "torch-n1:29500", "torch", 2, 2),
        ({"ACCELERATE_MIXED_PRECISION": "no", "RANK": "1", "LOCAL_RANK": "1",
          "MASTER_ADDR": "h", "MASTER_PORT": "1"}, "accelerate-h:1", "accelerate", 1, 1),
        ({"SLURM_JOB_ID": "42", "SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_LOCALID": "1",
          "SLURM_NTASKS": "4"}, "slurm-42.0", "slurm", 3, 1),
        ({"PMIX_NAMESPACE": "prterun-x-123@1", "OMPI_COMM_WORLD_RANK": "6",
          "OMPI_COMM_WORLD_LOCAL_RANK": "2", "OMPI_COMM_WORLD_SIZE": "8"},
         "mpi-prterun-x-123@1", "mpi", 6, 2),
        ({"WATTPRINT_RUN_GROUP": "mine", "SLURM_JOB_ID": "42"}, "mine", "WATTPRINT_RUN_GROUP",
         0, 0),
    ],
)  # fmt: skip
def test_group_from_launcher_variables(
    env: dict[str, str], group_id: str, launcher: str, rank: int, local_rank: int
) -> None:
    group = detect_group(env, host="node1")
    assert group is not None
    assert (group.group_id, group.launcher, group.rank, group.local_rank) == (
        group_id, launcher, rank, local_rank
    )  # fmt: skip
    assert group.measures_host == (local_rank == 0)


def test_no_launcher_no_group() -> None:
    assert detect_group({"RANK": "1"}) is None
    assert detect_group({"TORCHELASTIC_RUN_ID": "none"}) is None


def test_slurm_allocation() -> None:
    group = detect_group({"SLURM_JOB_ID": "7", "SLURM_CPUS_ON_NODE": "4",
                          "SLURM_MEM_PER_CPU": "2000"})  # fmt: skip
    assert group is not None and group.allocated_cpus == 4.0
    assert group.allocated_memory_bytes == 4 * 2000 * 1024 * 1024


RANK = """
import sys
from wattprint import Tracker
with Tracker(output_dir=sys.argv[1], country="FR", mode="machine", interval_s=0.05,
             force_cpu_power_w=10.0, force_ram_power_w=0.0) as t:
    import time; time.sleep(0.5)
"""


def test_four_ranks_on_one_host_count_the_host_once(tmp_path: Path) -> None:
    script = tmp_path / "rank.py"
    script.write_text(RANK)
    base = {k: v for k, v in os.environ.items() if not k.startswith("WATTPRINT_")}
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(tmp_path)],
            env={
                **base,
                "TORCHELASTIC_RUN_ID": "job-7",
                "RANK": str(r),
                "LOCAL_RANK": str(r),
                "WORLD_SIZE": "4",
            },
        )  # fmt: skip
        for r in range(4)
    ]
    assert [p.wait(60) for p in procs] == [0, 0, 0, 0]
    with open(tmp_path / "emissions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["rank"]) for r in rows) == [0, 1, 2, 3]
    assert {r["run_group"] for r in rows} == {"torchrun-job-7"}
    energy = {int(r["rank"]): float(r["cpu_energy"]) for r in rows}
    assert energy[0] > 0 and energy[1] == energy[2] == energy[3] == 0.0
    rank0 = next(r for r in rows if r["rank"] == "0")
    # The job total is the sum of the group's rows: the host once, about 10 W x 0.5 s.
    assert sum(energy.values()) * 3.6e6 == pytest.approx(10.0 * float(rank0["duration"]), rel=0.1)
    other = next(r for r in rows if r["rank"] == "1")
    assert other["cpu_method"] == "none"


def test_other_ranks_say_who_counts_the_host(tmp_path: Path) -> None:
    env = {"TORCHELASTIC_RUN_ID": "j", "RANK": "3", "LOCAL_RANK": "1"}
    tracker = Tracker(mode="machine", country="FR", save_to_file=False, env=env, interval_s=0.1)
    with tracker:
        pass
    r = tracker.result
    assert r is not None and r.run_group == "torchrun-j" and r.rank == 3 and r.local_rank == 1
    cpu = r.methodology.component("cpu")
    assert cpu is not None and "local rank 0 of group torchrun-j" in cpu.detail
    # In process mode every rank records its own share.
    own = Tracker(mode="process", country="FR", save_to_file=False, env=env, interval_s=0.1)
    assert own.counts_host and own.discovery.source_for("cpu") is not None


def test_slurm_allocation_bounds_the_models(tmp_path: Path) -> None:
    env = {"SLURM_JOB_ID": "9", "SLURM_PROCID": "0", "SLURM_LOCALID": "0",
           "SLURM_CPUS_ON_NODE": "1", "SLURM_MEM_PER_NODE": "1024"}  # fmt: skip
    tracker = Tracker(mode="machine", country="FR", save_to_file=False, env=env)
    hw = tracker.discovery.hardware
    assert hw.cpu.usable_cpus == 1.0 and "SLURM allocation of 1 CPUs" in hw.cpu.limit
    assert hw.ram_total_bytes == 1024 * 1024 * 1024
    ram = tracker.discovery.source_for("ram")
    assert ram is not None and "1.0 GiB installed" in ram.detail  # 1024 MiB

"""Embodied emissions by the share of the host reserved, worked out by hand.

The machines are built procfs, DMI and cgroup trees (tests/fakes/fake_machine.py); the
run's embodied share comes from ``ResultBuilder.embodied`` over the discovery of each.
GSF SCI: M = TE x (duration / lifetime) x share; one hour over 4 years is
3600 / (4 x 31,536,000) = 2.853881e-5 of the lifetime.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fakes.fake_machine import Machine, write_machine

from wattprint.impact.embodied import CHASSIS_KG, CPU_SOCKET_KG, RAM_KG_PER_GB
from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.settings.resolve import Settings
from wattprint.tracking.assemble import ResultBuilder

HOUR_OF_4_YEARS = 3600 / (4 * 365 * 24 * 3600)
GIB_KIB = 1024 * 1024


def _discover(machine: Machine, tmp_path: Path) -> Discovery:
    return discover(
        ProbeContext(
            env={"WATTPRINT_RAPL_DIR": "/nonexistent"},
            procfs_root=machine.procfs_root,
            cgroup_root=machine.cgroup_root,
            dmi_dir=machine.dmi_dir,
            cache_dir=tmp_path / "cache",
        )
    )


def _embodied(found: Discovery, *, counts_host: bool = True, **settings: Any) -> tuple[float, str]:
    builder = ResultBuilder(
        settings=Settings(**settings),
        plan=cast(Any, None),
        timeline=cast(Any, None),
        meter=cast(Any, SimpleNamespace(discovery=found)),
        pid=1,
        run_id="r",
        group=None,
        counts_host=counts_host,
    )
    return builder.embodied(3600.0)


def test_a_2_vcpu_vm_is_charged_its_share_not_the_whole_server(tmp_path: Path) -> None:
    # A 2-vCPU VM with 8 GiB on a Xeon Platinum 8480+ (112 threads per chip): a 2-socket
    # host of 224 threads, share 2 / 224. Chassis 877.7917 kg and 2 x 100 kg of sockets at
    # that share, plus the VM's own 8 GiB = 8.589934592 GB x 1.388021 kg:
    #   877.7917 / 112 + 200 / 112 + 8.589934592 x 533 / 384 = 7.83742 + 1.78571 + 11.92304
    #   = 21.54617 kg, x 2.853881e-5 for one hour = 6.1490e-4 kg.
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8480+",
        vcpus=2,
        mem_kib=8 * GIB_KIB,
        dmi={"sys_vendor": "QEMU"},
    )
    found = _discover(vm, tmp_path)
    assert found.host is not None and found.host.share == pytest.approx(2 / 224)
    kg, detail = _embodied(found)
    ram_gb = 8 * 2**30 / 1e9
    by_hand = CHASSIS_KG / 112 + 2 * CPU_SOCKET_KG / 112 + ram_gb * RAM_KG_PER_GB
    assert by_hand == pytest.approx(21.54617, rel=1e-5)
    assert kg == pytest.approx(by_hand * HOUR_OF_4_YEARS)
    assert kg == pytest.approx(6.1490e-4, rel=1e-4)
    # The whole server at share 1 (what was charged before) is 877.79 + 100 + 11.92 kg:
    # 47 x more.
    whole = (CHASSIS_KG + CPU_SOCKET_KG + ram_gb * RAM_KG_PER_GB) * HOUR_OF_4_YEARS
    assert whole / kg == pytest.approx(45.9, rel=0.01)
    assert "2-socket host of 112-thread chips (224 threads)" in detail


def test_a_known_aws_instance_is_charged_its_platforms_share(tmp_path: Path) -> None:
    # cloud_instances.csv: m5.xlarge, 4 vCPUs of a 96-vCPU platform whose embodied total is
    # 1,610.79 kg (CCF). 1610.79 x 4 / 96 x 2.853881e-5 = 1.91541e-3 kg for one hour.
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz",
        vcpus=4,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m5.xlarge"},
    )
    kg, detail = _embodied(_discover(vm, tmp_path))
    assert kg == pytest.approx(1610.79 * 4 / 96 * HOUR_OF_4_YEARS)
    assert kg == pytest.approx(1.91541e-3, rel=1e-5)
    assert "1611 kg for the instance's platform server" in detail and "(CCF)" in detail


def test_a_physical_machine_under_a_quota(tmp_path: Path) -> None:
    # 8 logical CPUs, a cgroup quota of 2: share 2 / 8 of 1 socket and 16 GiB
    # (17.179869184 GB): (877.7917 + 100 + 17.179869184 x 1.388021) x 0.25 x 2.853881e-5.
    box = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8480+",
        vcpus=8,
        hypervisor=False,
        cpu_max="200000 100000",
    )
    kg, detail = _embodied(_discover(box, tmp_path))
    total = CHASSIS_KG + CPU_SOCKET_KG + 16 * 2**30 / 1e9 * RAM_KG_PER_GB
    assert kg == pytest.approx(total * 0.25 * HOUR_OF_4_YEARS)
    assert "2 usable CPUs of this machine's 8" in detail


def test_users_figure_and_other_ranks(tmp_path: Path) -> None:
    vm = write_machine(
        tmp_path, brand="Intel(R) Xeon(R) Platinum 8480+", vcpus=4, dmi={"sys_vendor": "KVM"}
    )
    found = _discover(vm, tmp_path)
    kg, detail = _embodied(found, embodied_kg=500.0)
    assert kg == pytest.approx(500 * HOUR_OF_4_YEARS)  # this machine's own total, all 4 CPUs
    assert "set by the user" in detail
    assert _embodied(found, counts_host=False)[0] == 0.0

"""CPU power on virtual machines and cloud instances, on built procfs, DMI and cgroup trees.

Each machine is written in place by tests/fakes/fake_machine.py (cpuinfo
stanzas as the kernel prints them, DMI attributes, cgroup v2 cpu.max); the
expected figures are worked out by hand from the shipped tables' rows, quoted
in each test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.fake_clock import FakeClock
from fakes.fake_machine import Machine, write_machine

from wattprint.impact.uncertainty import ENERGY_BANDS, MODEL_TO_RAPL_HIGH, MODEL_TO_RAPL_LOW
from wattprint.power.cpu.cloud_profiles import CloudProfileSource
from wattprint.power.cpu.per_thread import TdpPerThreadSource
from wattprint.power.cpu.tdp import TdpModelSource
from wattprint.power.cpu.virtual import (
    CpuIds,
    detect_virtualization,
    microarchitecture_from_ids,
    read_cpu_ids,
)
from wattprint.power.discovery import Discovery, ProbeContext, discover
from wattprint.tables import read_table

TICKS = 100  # USER_HZ on Linux: /proc/stat counts 1/100 s
NO_RAPL = "/nonexistent/powercap"


def _discover(machine: Machine, tmp_path: Path, clock: FakeClock | None = None) -> Discovery:
    ctx = ProbeContext(
        env={"WATTPRINT_RAPL_DIR": NO_RAPL},
        procfs_root=machine.procfs_root,
        cgroup_root=machine.cgroup_root,
        dmi_dir=machine.dmi_dir,
        cache_dir=tmp_path / "cache",
        **({"clock": clock.monotonic_s} if clock else {}),
    )
    return discover(ctx)


def _energy_at_load(
    machine: Machine, tmp_path: Path, vcpus: int, load: float, seconds: float = 10.0
) -> tuple[Discovery, float, float]:
    """Run the CPU and RAM sources for ``seconds`` at ``load``; return their joules."""
    clock = FakeClock()
    found = _discover(machine, tmp_path, clock)
    cpu, ram = found.source_for("cpu"), found.source_for("ram")
    assert cpu is not None and ram is not None
    cpu.read(), ram.read()
    busy = round(vcpus * seconds * load * TICKS)
    machine.set_stat(busy, round(vcpus * seconds * TICKS) - busy)
    clock.advance(seconds)
    return found, cpu.read().energy_j, ram.read().energy_j


def test_4_vcpu_vm_on_a_xeon_8480_gets_its_threads_share(tmp_path: Path) -> None:
    # cpu_tdp.csv: 'Intel Xeon Platinum 8480+,350,112,56,codecarbon+specpower+intel-ark'.
    # 350 W / 112 threads = 3.125 W per thread; x 4 vCPUs = 12.5 W at full load (the
    # whole chip's 350 W was charged before: 28 x more).
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8480+",
        vcpus=4,
        dmi={"sys_vendor": "QEMU", "product_name": "Standard PC (Q35 + ICH9, 2009)"},
    )
    found, cpu_j, _ = _energy_at_load(vm, tmp_path, vcpus=4, load=1.0)
    cpu = found.source_for("cpu")
    assert isinstance(cpu, TdpPerThreadSource) and cpu.method == "tdp-per-thread"
    assert cpu.max_power_w == pytest.approx(12.5)
    assert cpu_j == pytest.approx(12.5 * 10)  # curve(100 %) = 1.0, 10 s
    assert "112 threads per chip" in cpu.detail and "hypervisor" in cpu.detail
    # Idle: the curve's 0 % point, 0.1884 of 12.5 W = 2.355 W.
    assert cpu.power_w(0.0) == pytest.approx(12.5 * 0.1884)


def test_a_quota_inside_the_vm_halves_it(tmp_path: Path) -> None:
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8480+",
        vcpus=4,
        dmi={"sys_vendor": "QEMU"},
        cpu_max="200000 100000",  # 2 CPUs
    )
    cpu = _discover(vm, tmp_path).source_for("cpu")
    assert isinstance(cpu, TdpPerThreadSource)
    assert cpu.max_power_w == pytest.approx(350 / 112 * 2)  # 6.25 W


def test_8_vcpu_slice_of_an_epyc_7763(tmp_path: Path) -> None:
    # 'AMD EPYC 7763,280,128,64,codecarbon+amd': 280 / 128 = 2.1875 W/thread x 8 = 17.5 W
    # (the whole 280 W before: 16 x more). Hypervisor flag only, no DMI.
    vm = write_machine(
        tmp_path,
        brand="AMD EPYC 7763 64-Core Processor",
        vcpus=8,
        vendor_id="AuthenticAMD",
        family=25,
        model=1,
    )
    found, cpu_j, _ = _energy_at_load(vm, tmp_path, vcpus=8, load=0.5)
    cpu = found.source_for("cpu")
    assert isinstance(cpu, TdpPerThreadSource)
    assert cpu.max_power_w == pytest.approx(17.5)
    assert cpu_j == pytest.approx(17.5 * 0.592 * 10)  # curve(50 %) = 0.592


def test_unknown_cloud_cpu_is_not_charged_841_w(tmp_path: Path) -> None:
    # 'AMD EPYC 9R14 96-Core Processor' is not in the table. The brand says 96 cores,
    # cpuinfo 192 siblings / 96 cores = 2 threads per core: a 192-thread chip. Its TDP is
    # the median of the table's 96-core EPYCs: 9645 320, 9654 360, 9654P 360, 9655 400,
    # 9655P 400, 9684X 400 W -> (360 + 400) / 2 = 380 W. A 192-vCPU VM fills the chip:
    # 380 W at full load, not 4.38 W x 192 = 841 W.
    vm = write_machine(
        tmp_path,
        brand="AMD EPYC 9R14 96-Core Processor",
        vcpus=192,
        vendor_id="AuthenticAMD",
        family=25,
        model=17,
        dmi={"sys_vendor": "QEMU"},
    )
    cpu = _discover(vm, tmp_path).source_for("cpu")
    assert isinstance(cpu, TdpPerThreadSource)
    assert cpu.max_power_w == pytest.approx(380.0)
    assert cpu.max_power_w < 841
    assert "median TDP 380 W of the 6 same-line CPUs with 96 cores" in cpu.detail


def test_unknown_cpu_on_aws_uses_ccf_per_vcpu_watts(tmp_path: Path) -> None:
    # DMI: Amazon EC2, m7a.48xlarge (192 vCPUs, 'AMD EPYC 9R14', EPYC 4th Gen, no Teads
    # profile). cloud_cpu_coefficients.csv: 'aws,EPYC 4th Gen,0.7391,2.2822' W per vCPU:
    # idle 0.7391 x 192 = 141.9 W, full load 2.2822 x 192 = 438.2 W.
    vm = write_machine(
        tmp_path,
        brand="AMD EPYC 9R14 96-Core Processor",
        vcpus=192,
        vendor_id="AuthenticAMD",
        family=25,
        model=17,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m7a.48xlarge"},
    )
    found, cpu_j, _ = _energy_at_load(vm, tmp_path, vcpus=192, load=1.0)
    cpu = found.source_for("cpu")
    assert isinstance(cpu, CloudProfileSource) and cpu.method == "cloud-instance-profile"
    assert cpu.power_w(0.0) == pytest.approx(0.7391 * 192)
    assert cpu_j == pytest.approx(2.2822 * 192 * 10)
    assert "EPYC 4th Gen" in cpu.detail


def test_known_aws_instance_type_uses_its_teads_profile(tmp_path: Path) -> None:
    # cloud_instances.csv: 'aws,m5.xlarge,4,96,Xeon Platinum 8175M,Skylake,1610.79,
    # 2.41,6.11,14.32,19.92,2.41,3.85,9.92,15.99': package W and memory W at idle/10/50/100 %.
    # At 30 % load the package draws 6.11 + (14.32 - 6.11) x (30 - 10) / (50 - 10) = 10.215 W,
    # memory 3.85 + (9.92 - 3.85) x 0.5 = 6.885 W.
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz",
        vcpus=4,
        model=85,
        stepping=4,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m5.xlarge"},
    )
    found, cpu_j, ram_j = _energy_at_load(vm, tmp_path, vcpus=4, load=0.3)
    cpu, ram = found.source_for("cpu"), found.source_for("ram")
    assert isinstance(cpu, CloudProfileSource) and isinstance(ram, CloudProfileSource)
    assert cpu_j == pytest.approx(10.215 * 10)
    assert ram_j == pytest.approx(6.885 * 10)
    assert "m5.xlarge" in cpu.detail and ram.method == "cloud-instance-profile"
    outcome = next(o for o in found.outcomes if o.probe == "cloud-instance")
    assert outcome.is_available
    tdp = next(o for o in found.outcomes if o.probe == "cpu-tdp-model")
    assert tdp.reason.startswith("not needed: cpu by cpu-cloud-profile")


def test_gcp_cpu_model_hidden_in_the_brand_comes_from_cpuid(tmp_path: Path) -> None:
    # GCP shows 'Intel(R) Xeon(R) CPU @ 2.20GHz'; family 6 model 85 stepping 7 is Cascade
    # Lake. cloud_cpu_coefficients.csv: 'gcp,Cascade Lake,0.6903,3.7549' W/vCPU x 4.
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) CPU @ 2.20GHz",
        vcpus=4,
        model=85,
        stepping=7,
        dmi={"sys_vendor": "Google", "product_name": "Google Compute Engine"},
    )
    cpu = _discover(vm, tmp_path).source_for("cpu")
    assert isinstance(cpu, CloudProfileSource)
    assert cpu.power_w(1.0) == pytest.approx(3.7549 * 4)
    assert cpu.power_w(0.5) == pytest.approx(4 * (0.6903 + 0.5 * (3.7549 - 0.6903)))


def test_the_users_instance_type_wins(tmp_path: Path) -> None:
    vm = write_machine(
        tmp_path,
        brand="Intel(R) Xeon(R) Platinum 8175M CPU @ 2.50GHz",
        vcpus=2,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m5.xlarge"},
    )
    ctx = ProbeContext(
        env={"WATTPRINT_RAPL_DIR": NO_RAPL, "WATTPRINT_CLOUD_INSTANCE_TYPE": "m5.large"},
        procfs_root=vm.procfs_root,
        cgroup_root=vm.cgroup_root,
        dmi_dir=vm.dmi_dir,
        cache_dir=tmp_path / "cache",
    )
    cpu = discover(ctx).source_for("cpu")
    assert cpu is not None and "m5.large" in cpu.detail


def test_a_physical_machine_keeps_the_whole_chip(tmp_path: Path) -> None:
    box = write_machine(
        tmp_path, brand="Intel(R) Xeon(R) Platinum 8480+", vcpus=112, hypervisor=False
    )
    cpu = _discover(box, tmp_path).source_for("cpu")
    assert type(cpu) is TdpModelSource and cpu.method == "tdp-x-load"
    assert cpu.max_power_w == pytest.approx(350.0)
    reason = next(o for o in _discover(box, tmp_path).outcomes if o.probe == "cloud-instance")
    assert "not a cloud instance" in reason.reason


def test_virtualisation_evidence(tmp_path: Path) -> None:
    assert not detect_virtualization(CpuIds(), dmi_dir=tmp_path).is_virtual
    flagged = detect_virtualization(CpuIds(hypervisor_flag=True), dmi_dir=tmp_path)
    assert flagged.is_virtual and "hypervisor" in flagged.how and flagged.provider is None
    metal = write_machine(
        tmp_path / "metal",
        brand="x",
        vcpus=2,
        hypervisor=False,
        dmi={"sys_vendor": "Amazon EC2", "product_name": "m5.metal"},
    )
    found = detect_virtualization(read_cpu_ids(metal.procfs_root), dmi_dir=metal.dmi_dir)
    assert found.provider == "aws" and found.instance_type == "m5.metal"
    assert not found.is_virtual
    azure = tmp_path / "azure"
    azure.mkdir()
    (azure / "chassis_asset_tag").write_text("7783-7084-3265-9085-8269-3286-77\n")
    (azure / "sys_vendor").write_text("Microsoft Corporation\n")
    (azure / "product_name").write_text("Virtual Machine\n")
    on_azure = detect_virtualization(CpuIds(), dmi_dir=azure)
    assert on_azure.provider == "azure" and on_azure.is_virtual


def test_cpuid_microarchitectures() -> None:
    intel = CpuIds(vendor_id="GenuineIntel", family=6)
    assert microarchitecture_from_ids(intel) is None
    assert microarchitecture_from_ids(CpuIds("GenuineIntel", 6, 85, 4)) == "Skylake"
    assert microarchitecture_from_ids(CpuIds("GenuineIntel", 6, 85, 7)) == "Cascade Lake"
    assert microarchitecture_from_ids(CpuIds("GenuineIntel", 6, 143, 8)) == "Sapphire Rapids"
    assert microarchitecture_from_ids(CpuIds("AuthenticAMD", 25, 1, 1)) == "EPYC 3rd Gen"
    assert microarchitecture_from_ids(CpuIds("AuthenticAMD", 23, 49, 0)) == "EPYC 2nd Gen"


def test_model_error_band_matches_the_built_table() -> None:
    text = read_table("wattprint.power", "cpu_defaults.csv", None, "CPU table")
    values = {
        line.split(",")[0]: float(line.split(",")[1])
        for line in text.splitlines()
        if line.startswith("model_to_rapl_")
    }
    assert values == {"model_to_rapl_low": MODEL_TO_RAPL_LOW, "model_to_rapl_high": 3.67}
    assert MODEL_TO_RAPL_HIGH == 3.67
    band = ENERGY_BANDS["tdp-x-load"]
    assert band.low_factor == pytest.approx(1 / 3.67)
    assert band.high_factor == pytest.approx(1 / 0.57)
    for method in ("tdp-per-thread", "cloud-instance-profile"):
        assert ENERGY_BANDS[method] == band, method
    for method, b in ENERGY_BANDS.items():
        assert 0 < b.low_factor <= 1 <= b.high_factor, method
    assert (ENERGY_BANDS["constant"].low_factor, ENERGY_BANDS["constant"].high_factor) == (1, 1)

"""Tests for the powercap RAPL source, on recorded trees in tests/fixtures/rapl*."""

from __future__ import annotations

import csv
import errno
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wattprint.errors import ConfigError, SourceUnavailableError
from wattprint.power.base import PowerSource, ProbeOutcome, Reading
from wattprint.power.cpu.powercap import RaplDomain
from wattprint.power.cpu.rapl import (
    ENV_RAPL_DIR,
    PERMISSION_ADVICE,
    RaplSource,
    probe_rapl,
)
from wattprint.units import J_PER_UJ

FIXTURES = Path(__file__).parent / "fixtures"
MAX_PACKAGE_UJ = 262_143_328_850


# --------------------------------------------------------------------------- helpers


def copy_tree(tmp_path: Path, name: str = "rapl") -> Path:
    """Copy a fixture tree into tmp_path so tests can advance its counters."""
    return Path(shutil.copytree(FIXTURES / name, tmp_path / name))


def samples(name: str = "rapl") -> list[dict[str, int]]:
    """The recorded counter values, one dict {domain_path: energy_uj} per sample time."""
    by_time: dict[str, dict[str, int]] = {}
    with (FIXTURES / name / "sequence.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            by_time.setdefault(row["time_s"], {})[row["domain_path"]] = int(row["energy_uj"])
    return list(by_time.values())


def write_sample(root: Path, sample: dict[str, int]) -> None:
    for domain_path, energy_uj in sample.items():
        # Write in place (same inode), as the kernel's counter changes under an open file.
        (root / domain_path / "energy_uj").write_text(f"{energy_uj}\n")


class FakeClock:
    def __init__(self, start_s: float = 100.0, step_s: float = 0.5) -> None:
        self.now_s = start_s
        self.step_s = step_s

    def __call__(self) -> float:
        self.now_s += self.step_s
        return self.now_s


def by_name(outcome: ProbeOutcome) -> dict[str, RaplSource]:
    found = {}
    for source in outcome.sources:
        assert isinstance(source, RaplSource)
        found[source.name] = source
    return found


def energies_uj(reading: Reading) -> dict[str, int]:
    """Per-device energy back in whole microjoules (exact: the source counts integer uJ)."""
    return {d.device: round(d.energy_j / J_PER_UJ) for d in reading.devices}


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    yield copy_tree(tmp_path)


def deny_energy_uj(denied: str = "energy_uj") -> Callable[[Path], int]:
    """An opener that refuses counters whose path contains ``denied``, as a 0400 file would."""

    def opener(path: Path) -> int:
        if denied in str(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return os.open(path, os.O_RDONLY)

    return opener


# --------------------------------------------------------------------------- probe


def test_probe_sums_two_packages_and_reads_dram_as_ram(tree: Path) -> None:
    outcome = probe_rapl(tree, env={})
    try:
        assert outcome.probe == "rapl"
        assert outcome.components == ("cpu", "ram")
        assert outcome.is_available
        sources = by_name(outcome)
        assert sorted(sources) == ["rapl-dram", "rapl-package"]
        cpu, ram = sources["rapl-package"], sources["rapl-dram"]
        assert (cpu.component, ram.component) == ("cpu", "ram")
        assert cpu.method == ram.method == "rapl"
        assert cpu.measured and ram.measured
        assert isinstance(cpu, PowerSource)
        # core subzones and the intel-rapl-mmio duplicate of package-0 are not read.
        assert cpu.detail == (
            "RAPL powercap counters: package-0 (intel-rapl:0), package-1 (intel-rapl:1)"
        )
        assert ram.detail == (
            "RAPL powercap counters: dram-0 (intel-rapl:0:1), dram-1 (intel-rapl:1:1)"
        )
        assert "cpu from RAPL powercap counters: package-0" in outcome.reason
        assert outcome.advice == ""
    finally:
        for source in outcome.sources:
            source.close()


def test_first_reading_is_zero_and_uses_the_injected_clock(tree: Path) -> None:
    outcome = probe_rapl(tree, env={}, clock=FakeClock(start_s=100.0, step_s=0.5))
    cpu = by_name(outcome)["rapl-package"]
    reading = cpu.read()
    assert reading.source == "rapl-package"
    assert reading.component == "cpu"
    # Each source took a tick when it opened (the zero), package then dram: 100.5, 101.0.
    assert reading.monotonic_s == 101.5
    assert [(d.device, d.energy_j) for d in reading.devices] == [
        ("package-0", 0.0),
        ("package-1", 0.0),
    ]
    cpu.close()


def test_energy_equals_counter_differences_exactly_across_a_wrap(tree: Path) -> None:
    seq = samples()
    assert len(seq) == 12
    outcome = probe_rapl(tree, env={}, clock=FakeClock(start_s=0.0, step_s=31.0))
    sources = by_name(outcome)
    cpu, ram = sources["rapl-package"], sources["rapl-dram"]
    readings = []
    for sample in seq[1:]:
        write_sample(tree, sample)
        readings.append((cpu.read(), ram.read()))

    # package-1 wraps between the 4th and the 5th load step (samples 4 and 5):
    #   sample 4: 261626601208 uJ, sample 5: 434846946 uJ, max_energy_range_uj 262143328850
    #   before:   261626601208 - 259643328850                = 1983272358 uJ
    #   the wrap: 262143328850 + 1 - 261626601208 + 434846946 =  951574589 uJ
    assert energies_uj(readings[3][0])["package-1"] == 1_983_272_358
    assert energies_uj(readings[4][0])["package-1"] == 1_983_272_358 + 951_574_589
    assert readings[4][0].devices[1].energy_j == 2_934_846_947 * J_PER_UJ

    final_cpu, final_ram = readings[-1]
    # package-0, no wrap: 70172446588 - 58254211037                        = 11918235551 uJ
    # package-1, one wrap: (262143328850 + 1 - 259643328850) + 9418235554  = 11918235555 uJ
    # Their sum, 23836471106 uJ, is the package energy CodeCarbon recorded over the 11 steps.
    assert [(d.device, d.energy_j) for d in final_cpu.devices] == [
        ("package-0", 11_918_235_551 * J_PER_UJ),
        ("package-1", 11_918_235_555 * J_PER_UJ),
    ]
    assert sum(energies_uj(final_cpu).values()) == 23_836_471_106
    # dram-N: 16852627570 - 12779468210 = 17166712307 - 13093552947 = 4073159360 uJ
    assert [(d.device, d.energy_j) for d in final_ram.devices] == [
        ("dram-0", 4_073_159_360 * J_PER_UJ),
        ("dram-1", 4_073_159_360 * J_PER_UJ),
    ]
    cpu.close()
    ram.close()


def test_reading_is_cumulative_from_open_not_from_boot(tree: Path) -> None:
    seq = samples()
    write_sample(tree, seq[6])
    outcome = probe_rapl(tree, env={})
    cpu = by_name(outcome)["rapl-package"]
    write_sample(tree, seq[7])
    expected_uj = seq[7]["intel-rapl/intel-rapl:0"] - seq[6]["intel-rapl/intel-rapl:0"]
    assert energies_uj(cpu.read())["package-0"] == expected_uj
    cpu.close()


def test_psys_serves_cpu_only_when_no_package_exists(tmp_path: Path) -> None:
    root = copy_tree(tmp_path, "rapl_psys_only")
    outcome = probe_rapl(root, env={})
    sources = by_name(outcome)
    assert list(sources) == ["rapl-psys"]
    psys = sources["rapl-psys"]
    assert psys.component == "cpu"
    assert psys.detail == "RAPL powercap counters: psys (intel-rapl:0)"
    for sample in samples("rapl_psys_only")[1:]:
        write_sample(root, sample)
        reading = psys.read()
    # 113071064314 - 104311986552 = 8759077762 uJ
    assert [(d.device, d.energy_j) for d in reading.devices] == [
        ("psys", 8_759_077_762 * J_PER_UJ)
    ]
    psys.close()


def test_psys_is_ignored_when_packages_exist(tree: Path) -> None:
    psys = tree / "intel-rapl" / "intel-rapl:2"
    shutil.copytree(FIXTURES / "rapl_psys_only" / "intel-rapl" / "intel-rapl:0", psys)
    outcome = probe_rapl(tree, env={})
    names = sorted(by_name(outcome))
    assert names == ["rapl-dram", "rapl-package"]
    assert "psys" not in by_name(outcome)["rapl-package"].detail
    for source in outcome.sources:
        source.close()


def test_mmio_package_is_used_when_the_msr_interface_is_absent(tree: Path) -> None:
    shutil.rmtree(tree / "intel-rapl")
    outcome = probe_rapl(tree, env={})
    assert list(by_name(outcome)) == ["rapl-package"]
    cpu = by_name(outcome)["rapl-package"]
    assert cpu.detail == "RAPL powercap counters: package-0 (intel-rapl-mmio:0)"
    cpu.close()


def test_flat_class_layout_with_symlinks_counts_each_zone_once(tmp_path: Path) -> None:
    devices = copy_tree(tmp_path)  # plays /sys/devices/virtual/powercap
    cls = tmp_path / "class_powercap"  # plays /sys/class/powercap: every zone linked flat
    cls.mkdir()
    for zone_dir in sorted(devices.rglob("intel-rapl*")):
        if zone_dir.is_dir():
            (cls / zone_dir.name).symlink_to(zone_dir, target_is_directory=True)
    assert (cls / "intel-rapl:0:1").is_dir()
    outcome = probe_rapl(cls, env={})
    sources = by_name(outcome)
    assert [d.device for d in sources["rapl-package"].read().devices] == [
        "package-0",
        "package-1",
    ]
    assert [d.device for d in sources["rapl-dram"].read().devices] == ["dram-0", "dram-1"]
    for source in outcome.sources:
        source.close()


def test_missing_directory_reason(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-powercap"
    outcome = probe_rapl(missing, env={})
    assert not outcome.is_available
    assert outcome.sources == ()
    assert outcome.reason == (
        f"no powercap RAPL interface at {missing} (not Linux, a VM without RAPL, "
        "or a container without /sys/class/powercap mounted)"
    )
    assert ENV_RAPL_DIR in outcome.advice


def test_directory_without_rapl_zones_names_what_it_found(tmp_path: Path) -> None:
    (tmp_path / "dtpm").mkdir()
    outcome = probe_rapl(tmp_path, env={})
    assert not outcome.is_available
    assert "no RAPL package, psys or dram zone" in outcome.reason
    assert "zones found: none" in outcome.reason
    assert str(tmp_path) in outcome.reason


def test_env_mapping_names_the_directory(tree: Path, tmp_path: Path) -> None:
    outcome = probe_rapl(env={ENV_RAPL_DIR: str(tree)})
    assert outcome.is_available
    assert dict(outcome.extra) == {"root": str(tree)}
    for source in outcome.sources:
        source.close()
    missing = tmp_path / "elsewhere"
    outcome = probe_rapl(env={ENV_RAPL_DIR: str(missing)})
    assert f"no powercap RAPL interface at {missing} " in outcome.reason
    # An explicit root wins over the environment.
    outcome = probe_rapl(tree, env={ENV_RAPL_DIR: str(missing)})
    assert outcome.is_available
    for source in outcome.sources:
        source.close()


# ------------------------------------------------------------------ permissions and failures


def test_unreadable_counters_give_the_reason_and_how_to_grant_access(tree: Path) -> None:
    outcome = probe_rapl(tree, env={}, opener=deny_energy_uj())
    assert not outcome.is_available
    counter = tree / "intel-rapl" / "intel-rapl:0" / "energy_uj"
    assert f"rapl-package: no read permission on {counter}" in outcome.reason
    assert "rapl-dram: no read permission on" in outcome.reason
    assert "CVE-2020-8694" in outcome.reason
    assert outcome.advice == PERMISSION_ADVICE
    assert (
        "sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj "
        "/sys/class/powercap/intel-rapl:*/intel-rapl:*/energy_uj" in outcome.advice
    )
    assert 'SUBSYSTEM=="powercap"' in outcome.advice
    assert f"{ENV_RAPL_DIR}=" in outcome.advice


def test_partly_readable_counters_open_what_they_can(tree: Path) -> None:
    # As after `chmod o+r intel-rapl:*/energy_uj` only: the dram subzones stay root-only.
    outcome = probe_rapl(tree, env={}, opener=deny_energy_uj("intel-rapl:0:1"))
    assert list(by_name(outcome)) == ["rapl-package"]
    assert "rapl-dram: no read permission on" in outcome.reason
    assert outcome.advice == PERMISSION_ADVICE
    for source in outcome.sources:
        source.close()


def test_failed_open_closes_the_counters_already_opened(tree: Path) -> None:
    opened: list[int] = []

    def opener(path: Path) -> int:
        if "intel-rapl:1" in str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        fd = os.open(path, os.O_RDONLY)
        opened.append(fd)
        return fd

    domains = [
        RaplDomain("package-0", "intel-rapl:0", tree / "intel-rapl/intel-rapl:0/energy_uj", 1),
        RaplDomain("package-1", "intel-rapl:1", tree / "intel-rapl/intel-rapl:1/energy_uj", 1),
    ]
    with pytest.raises(SourceUnavailableError) as info:
        RaplSource(name="rapl-package", component="cpu", domains=domains, opener=opener)
    assert isinstance(info.value.__cause__, PermissionError)
    assert "intel-rapl:1/energy_uj" in info.value.reason
    assert len(opened) == 1
    with pytest.raises(OSError):
        os.fstat(opened[0])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_chmod_000_counter_is_reported_as_a_permission_problem(tree: Path) -> None:
    counter = tree / "intel-rapl" / "intel-rapl:1" / "energy_uj"
    counter.chmod(0)
    outcome = probe_rapl(tree, env={})
    assert f"rapl-package: no read permission on {counter}" in outcome.reason
    assert outcome.advice == PERMISSION_ADVICE
    for source in outcome.sources:
        source.close()


def test_counter_that_is_a_directory_is_reported(tree: Path) -> None:
    counter = tree / "intel-rapl" / "intel-rapl:1" / "energy_uj"
    counter.unlink()
    counter.mkdir()
    outcome = probe_rapl(tree, env={})
    assert list(by_name(outcome)) == ["rapl-dram"]
    assert f"rapl-package: cannot read {counter}: " in outcome.reason
    assert "Is a directory" in outcome.reason
    assert outcome.advice == ""
    for source in outcome.sources:
        source.close()


def test_unparsable_counter_raises_source_unavailable(tree: Path) -> None:
    cpu = by_name(probe_rapl(tree, env={}))["rapl-package"]
    counter = tree / "intel-rapl" / "intel-rapl:0" / "energy_uj"
    counter.write_text("not a number\n")
    with pytest.raises(SourceUnavailableError) as info:
        cpu.read()
    assert info.value.source == "rapl-package"
    assert str(counter) in info.value.reason
    assert isinstance(info.value.__cause__, ValueError)
    cpu.close()


def test_read_after_close_raises_and_close_is_idempotent(tree: Path) -> None:
    cpu = by_name(probe_rapl(tree, env={}))["rapl-package"]
    cpu.close()
    cpu.close()
    with pytest.raises(SourceUnavailableError, match="closed"):
        cpu.read()


def test_source_needs_at_least_one_domain() -> None:
    with pytest.raises(ConfigError, match="domains"):
        RaplSource(name="rapl-package", component="cpu", domains=[])

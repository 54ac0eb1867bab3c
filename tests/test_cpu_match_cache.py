"""The CPU's table match is kept in the user cache, one line, and read back the same."""

from __future__ import annotations

from pathlib import Path

from wattprint.power.cpu.hardware import Hardware, _read_match_cache, _write_match_cache
from wattprint.power.cpu.info import CpuInfo
from wattprint.power.cpu.models import CpuMatch, CpuTable


def test_a_match_is_written_once_and_read_back_unchanged(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "cpu-match.tsv"
    cpu = CpuInfo("Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz", 1, 8, 8.0, "")
    first = Hardware(cpu, 8 << 30, CpuTable(), cache).cpu_match
    assert cache.read_text(encoding="utf-8").count("\n") == 1
    again = Hardware(cpu, 8 << 30, CpuTable(), cache)
    again._table = None  # type: ignore[assignment]  # a second match would fail: read back
    assert again.cpu_match == first


def test_every_kind_of_match_reads_back_and_damage_means_a_new_match(tmp_path: Path) -> None:
    path = tmp_path / "cpu-match.tsv"
    for match in (
        CpuMatch("Some CPU", "Some CPU", 125.0, "exact", "table row 'Some CPU'", 16, 8),
        CpuMatch("Unknown CPU", None, 0.1 + 0.2, "default", "no row: 10 W per thread"),
    ):
        _write_match_cache(path, "v|brand|8", match)
        assert _read_match_cache(path, "v|brand|8") == match
        assert _read_match_cache(path, "another key") is None
    for damaged in ("", "v|brand|8\tonly\tthree\n", "v|brand|8\tb\t\tnan?\texact\td\t\t\n",
                    "v|brand|8\tb\t\t1.0\tguessed\td\t\t\n"):  # fmt: skip
        path.write_text(damaged, encoding="utf-8")
        assert _read_match_cache(path, "v|brand|8") is None
    tab = CpuMatch("A\tB", None, 1.0, "default", "d")
    _write_match_cache(tmp_path / "other.tsv", "k", tab)
    assert not (tmp_path / "other.tsv").exists()  # not one line of fields: not kept

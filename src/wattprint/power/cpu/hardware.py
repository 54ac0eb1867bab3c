"""The machine's CPU and memory as discovered, and the CPU's TDP table match.

Kept below both the CPU model (:mod:`wattprint.power.cpu.tdp`) and discovery,
which both use it.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from wattprint._version import __version__
from wattprint.power.cpu.info import CpuInfo
from wattprint.power.cpu.models import CpuMatch, CpuTable

__all__ = ["Hardware"]


class Hardware:
    """The machine as discovered.

    Attributes:
        cpu: brand, sockets and usable CPUs.
        ram_total_bytes: installed memory. Units: bytes.
    """

    def __init__(
        self, cpu: CpuInfo, ram_total_bytes: int, table: CpuTable, cache: Path | None = None
    ) -> None:
        self.cpu = cpu
        self.ram_total_bytes = ram_total_bytes
        self._table = table
        self._cache = cache

    @functools.cached_property
    def cpu_match(self) -> CpuMatch:
        """The TDP table entry the CPU matches (or the default), looked up on first use.

        Matching against the table of about 5,000 CPUs takes a tenth of a
        second, so it is kept off ``start()`` (the model needs the TDP only at
        its first sample) and its answer is kept in the user cache, keyed by
        the brand and wattprint's version, so later processes skip it.
        """
        key = f"{__version__}|{self.cpu.brand}|{self.cpu.threads_per_socket}"
        cached = _read_match_cache(self._cache, key)
        if cached is not None:
            return cached
        match = self._table.match(self.cpu.brand, self.cpu.threads_per_socket)
        _write_match_cache(self._cache, key, match)
        return match


_HOWS = ("exact", "normalized", "tokens", "default")  # MatchHow's values

# The cache is one line of tab-separated fields: the key, then the match's fields,
# None written as an empty field (not JSON: a run would load the json module for it).


def _read_match_cache(path: Path | None, key: str) -> CpuMatch | None:
    if path is None:
        return None
    try:
        fields = path.read_text(encoding="utf-8").rstrip("\n").split("\t")
        if len(fields) != 8 or fields[0] != key:
            return None
        _, brand, entry, tdp_w, how, detail, threads, cores = fields
        if how not in _HOWS:
            return None
        return CpuMatch(
            brand, entry or None, float(tdp_w), how, detail,  # type: ignore[arg-type]
            int(threads) if threads else None, int(cores) if cores else None,
        )  # fmt: skip
    except (OSError, ValueError):
        return None


def _write_match_cache(path: Path | None, key: str, match: CpuMatch) -> None:
    if path is None:
        return
    fields = (key, match.brand, match.entry or "", repr(float(match.tdp_w)), match.how,
              match.detail, str(match.threads or ""), str(match.cores or ""))  # fmt: skip
    if any("\t" in f or "\n" in f for f in fields):
        return  # not one line of fields: the next process matches again
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text("\t".join(fields) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # no cache then: the next process matches again
        pass

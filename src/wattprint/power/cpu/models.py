"""CPU models: their thermal design power (TDP) and how power follows load.

When no counter measures a CPU, its power is estimated from its TDP, the
power per package (socket) the vendor designs the cooling for, scaled by how
busy the CPU is. This module finds a CPU's TDP from its brand string (as
``/proc/cpuinfo`` or py-cpuinfo report it, e.g. ``Intel(R) Xeon(R) CPU
E5-2620 v3 @ 2.40GHz``) in a shipped table of about 4,900 models, and holds
the load curve that turns a utilisation into a fraction of that TDP.

Matching tries, in order: the exact table name; the normalised name (marks
such as ``(R)``, clock speeds, ``N-Core``, ``CPU``/``Processor`` and vendor
words dropped, lower case); the table entry whose name tokens all appear in
the brand (most tokens wins, then the longest name), provided it holds a
model number and names no other vendor. Failing all three, the TDP defaults
to a median watts-per-thread times the threads of one package.

Tables: ``power/data/cpu_tdp.csv`` and ``power/data/cpu_defaults.csv``, built
by ``scripts/build_cpu_tables.py`` from CodeCarbon's data (MIT); see
``power/data/SOURCES.md``. They are read on first use and cached on the
instance.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
import re
from itertools import pairwise
from pathlib import Path
from typing import Literal

from wattprint._record import NamedTuple
from wattprint.errors import ConfigError, DataError
from wattprint.tables import read_table, table_label

MatchHow = Literal["exact", "normalized", "tokens", "default"]

_TDP_TABLE = "cpu_tdp.csv"
_DEFAULTS_TABLE = "cpu_defaults.csv"
_CURVE_PREFIX = "load_curve_"

# Patterns compiled on first use (re caches them): a run whose CPU match is
# cached never compiles them.
_MARKS = r"(?i)\((?:r|tm|c)\)|[®™©]"
_WITH = r"(?i)\s(?:with|w/)\s.*$"
_FREQ = r"(?i)@?\s*\d+(?:\.\d+)?\s*[gm]hz\b"
_N_CORE = r"(?i)\b(?:\d+|dual|triple|quad|six|eight|ten|twelve|sixteen)[- ]core\b"
_GEN = r"(?i)\b\d+(?:st|nd|rd|th)\s+gen\b"
_NOISE = frozenset({"cpu", "processor", "apu", "intel", "amd"})
_LINE_WORDS = frozenset({"epyc", "xeon", "ryzen", "threadripper", "opteron", "core", "atom"})
_VENDOR_WORDS: dict[str, frozenset[str]] = {
    "amd": frozenset(
        {"amd", "ryzen", "epyc", "opteron", "athlon", "phenom", "sempron", "turion", "threadripper"}
    ),
    "intel": frozenset({"intel", "xeon", "core", "celeron", "pentium", "atom", "itanium", "quark"}),
    "apple": frozenset({"apple"}),
}


def normalize_brand(brand: str) -> str:
    """Return the matching key of a CPU brand string or table name.

    Drops trademark marks, a trailing ``with ... Graphics``, clock speeds,
    ``N-Core``, ``Nth Gen``, the words CPU, Processor, APU, Intel and AMD,
    and punctuation other than ``-``, ``.`` and ``/``; lower-cases and
    collapses spaces. ``Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz`` becomes
    ``xeon e5-2620 v3``.
    """
    text = re.sub(_MARKS, " ", brand)
    text = re.sub(r"(?<=\w)\s+-(?=\w)", "-", text)  # 'FX(tm)-8350' -> 'FX-8350'
    text = re.sub(_WITH, " ", text)
    text = re.sub(_FREQ, " ", text)
    text = re.sub(_N_CORE, " ", text)
    text = re.sub(_GEN, " ", text)
    text = re.sub(r"[(),]", " ", text).lower()
    return " ".join(token for token in text.split() if token not in _NOISE)


def _vendor(name: str) -> str | None:
    """Return the vendor a name's words point to, or None if none or several."""
    words = set(re.split(r"[^a-z0-9]+", re.sub(_N_CORE, " ", re.sub(_MARKS, " ", name)).lower()))
    found = [vendor for vendor, marks in _VENDOR_WORDS.items() if words & marks]
    return found[0] if len(found) == 1 else None


def _is_model_token(token: str) -> bool:
    return any(char.isdigit() for char in token)


class CpuMatch(NamedTuple):
    """The TDP found for a CPU brand string, and how it was found.

    Attributes:
        brand: the brand string asked for.
        entry: the table entry matched; None when the TDP was defaulted.
        tdp_w: thermal design power per package (socket). Units: W.
        how: which matching step answered: ``exact``, ``normalized``,
            ``tokens`` or ``default``.
        detail: one sentence for people saying what was matched and how.
        threads: hardware threads of one package of the matched entry, if
            the table knows them (AMD's pages, SPECpower).
        cores: cores of one package of the matched entry, if known.
    """

    brand: str
    entry: str | None
    tdp_w: float
    how: MatchHow
    detail: str
    threads: int | None = None
    cores: int | None = None


# The private records below are named tuples: a seventh of a dataclass's cost to define.


class _Entry(NamedTuple):
    name: str
    tdp_w: float
    tokens: frozenset[str]
    vendor: str | None
    row: int
    threads: int | None = None
    cores: int | None = None

    @property
    def counts(self) -> tuple[int | None, int | None]:
        return self.threads, self.cores


class _Index(NamedTuple):
    exact: dict[str, _Entry]
    normalized: dict[str, _Entry]
    by_model_token: dict[str, tuple[_Entry, ...]]


class _Defaults(NamedTuple):
    w_per_thread: float
    curve: tuple[tuple[float, float], ...]


class CpuTable:
    """Find the TDP of a CPU from its brand string in the shipped (or a given) table."""

    __slots__ = ("_path", "_defaults_path", "_index", "_defaults")

    def __init__(self, path: Path | None = None, defaults_path: Path | None = None) -> None:
        """Create a table reading ``path`` and ``defaults_path``, or the shipped files."""
        self._path = path
        self._defaults_path = defaults_path
        self._index: _Index | None = None
        self._defaults: _Defaults | None = None

    @property
    def default_w_per_thread(self) -> float:
        """The TDP assumed per hardware thread when no entry matches. Units: W."""
        return self._load_defaults().w_per_thread

    def match(self, brand: str, threads_per_package: int) -> CpuMatch:
        """Return the TDP of the CPU named ``brand``.

        Args:
            brand: the CPU brand string, e.g. ``AMD EPYC 7763 64-Core Processor``.
            threads_per_package: hardware threads (logical CPUs) of one package,
                used only when the TDP is defaulted. At least 1.

        Returns:
            The match, with the TDP per package in W and how it was found.

        Raises:
            ConfigError: ``threads_per_package`` is not a whole number >= 1.
        """
        if (
            isinstance(threads_per_package, bool)
            or not isinstance(threads_per_package, int)
            or threads_per_package < 1
        ):
            raise ConfigError(
                "threads_per_package", threads_per_package, "a whole number of threads, at least 1"
            )
        index = self._load_index()
        found = _find(index, brand)
        if found is not None:
            entry, how = found
            what = {"exact": "exactly", "normalized": "by normalized name", "tokens": "by tokens"}
            detail = f"matched {entry.name!r} ({entry.tdp_w:g} W) {what[how]}"
            return CpuMatch(brand, entry.name, entry.tdp_w, how, detail, *entry.counts)
        per_thread_w = self.default_w_per_thread
        tdp_w = per_thread_w * threads_per_package
        plural = "thread" if threads_per_package == 1 else "threads"
        detail = (
            f"no table entry for {brand!r}; default {per_thread_w:g} W per thread"
            f" x {threads_per_package} {plural}"
        )
        return CpuMatch(brand, None, tdp_w, "default", detail)

    def tdp_for_cores(self, brand: str, cores: int) -> tuple[float, tuple[str, ...]] | None:
        """Return the median TDP (W) of the brand's line (epyc, xeon...) with ``cores`` cores.

        For a CPU missing from the table whose brand says its core count
        (``AMD EPYC 9R14 96-Core Processor``); None when no entry qualifies.
        """
        lines = (set(normalize_brand(brand).split()) | set(brand.lower().split())) & _LINE_WORDS
        vendor = _vendor(brand)
        found = sorted(
            (e.tdp_w, e.name)
            for e in self._load_index().exact.values()
            if e.cores == cores and e.vendor == vendor and lines & set(e.name.lower().split())
        )
        if not found:
            return None
        mid = len(found) // 2
        median = found[mid][0] if len(found) % 2 else (found[mid - 1][0] + found[mid][0]) / 2
        return median, tuple(name for _, name in found)

    def _load_index(self) -> _Index:
        if self._index is None:
            label, text = _read(self._path, _TDP_TABLE)
            self._index = _parse_tdp(text, label)
        return self._index

    def _load_defaults(self) -> _Defaults:
        if self._defaults is None:
            label, text = _read(self._defaults_path, _DEFAULTS_TABLE)
            self._defaults = _parse_defaults(text, label)
        return self._defaults


class LoadCurve:
    """Fraction of TDP a CPU draws as a function of its utilisation.

    A piecewise-linear curve through ``(utilization, fraction)`` points, with
    utilisation in 0..1 and the fraction of TDP drawn. The shipped curve is
    the mean of CodeCarbon's RAPL load profiles, scaled so that full load
    draws the TDP (see ``power/data/SOURCES.md``).
    """

    __slots__ = ("_points", "_xs")

    def __init__(self, points: tuple[tuple[float, float], ...] | None = None) -> None:
        """Create a curve through ``points``, or the shipped curve (read lazily) when None.

        Raises:
            ConfigError: fewer than two points, utilisations not strictly
                increasing, or a value that is negative or not finite.
        """
        self._points = None if points is None else _check_points(points, "points")
        self._xs: tuple[float, ...] | None = None  # the utilisations, for bisect (each sample)

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        """The curve's ``(utilization, fraction of TDP)`` points, by utilisation."""
        if self._points is None:
            label, text = _read(None, _DEFAULTS_TABLE)
            self._points = _parse_defaults(text, label).curve
        return self._points

    def fraction(self, utilization: float) -> float:
        """Return the fraction of TDP drawn at ``utilization``.

        Args:
            utilization: CPU utilisation as a fraction, 0..1; clamped to the
                curve's range.

        Returns:
            The fraction of TDP, interpolated linearly between points.

        Raises:
            ConfigError: ``utilization`` is NaN.
        """
        if math.isnan(utilization):
            raise ConfigError("utilization", utilization, "a fraction between 0 and 1")
        points = self.points
        xs = self._xs
        if xs is None:
            xs = self._xs = tuple(p[0] for p in points)
        x = min(max(utilization, 0.0, xs[0]), 1.0, xs[-1])
        i = bisect.bisect_right(xs, x)
        if i >= len(points):
            return points[-1][1]
        (x0, y0), (x1, y1) = points[i - 1], points[i]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def _find(index: _Index, brand: str) -> tuple[_Entry, MatchHow] | None:
    exact = index.exact.get(" ".join(brand.split()))
    if exact is not None:
        return exact, "exact"
    key = normalize_brand(brand)
    if not key:
        return None
    normalized = index.normalized.get(key)
    if normalized is not None:
        return normalized, "normalized"
    words = key.split()
    # 'i5 750' in a brand also reads as the table's 'i5-750'.
    tokens = frozenset(words) | {f"{a}-{b}" for a, b in pairwise(words)}
    vendor = _vendor(brand)
    best: _Entry | None = None
    for token in tokens:
        for entry in index.by_model_token.get(token, ()):
            if not entry.tokens <= tokens:
                continue
            if entry.vendor is not None and vendor is not None and entry.vendor != vendor:
                continue
            # Entries naming no vendor are CodeCarbon's bare AMD model numbers
            # ('3280', 'FX-8350'): never give one to an Intel or Apple brand.
            if entry.vendor is None and vendor not in (None, "amd"):
                continue
            if best is None or _rank(entry) > _rank(best):
                best = entry
    return None if best is None else (best, "tokens")


def _rank(entry: _Entry) -> tuple[int, int, int]:
    """Order token matches: more tokens, then a longer name, then the earlier row."""
    return len(entry.tokens), len(entry.name), -entry.row


def _read(path: Path | None, table: str) -> tuple[str, str]:
    label = table_label("wattprint.power", table, path)
    return label, read_table("wattprint.power", table, path, "CPU table")


def _rows(text: str, label: str, columns: tuple[str, ...]) -> csv.DictReader[str]:
    lines = (line for line in io.StringIO(text) if line.strip() and not line.startswith("#"))
    reader = csv.DictReader(lines)
    if reader.fieldnames is None or not set(columns) <= set(reader.fieldnames):
        raise DataError(f"{label}: expected columns {columns}, found {reader.fieldnames}")
    return reader


def _parse_tdp(text: str, label: str) -> _Index:
    exact: dict[str, _Entry] = {}
    normalized: dict[str, _Entry] = {}
    by_token: dict[str, list[_Entry]] = {}
    reader = _rows(text, label, ("name", "tdp_w"))
    for row in reader:
        name = " ".join(row["name"].split())
        try:
            tdp_w = float(row["tdp_w"])
        except (TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad TDP {row['tdp_w']!r}") from err
        if not name or not math.isfinite(tdp_w) or tdp_w <= 0:
            raise DataError(f"{label}, line {reader.line_num}: bad row {row!r}")
        key = normalize_brand(name)
        counts = (_count(row.get("threads")), _count(row.get("cores")))
        entry = _Entry(name, tdp_w, frozenset(key.split()), _vendor(name), reader.line_num, *counts)
        exact.setdefault(name, entry)
        if key:
            normalized.setdefault(key, entry)  # first entry wins on a tie
        models = [token for token in entry.tokens if _is_model_token(token)]
        # A lone token must be a model number such as '3280', not a short one like '9'.
        if len(entry.tokens) == 1 and (not models or len(models[0]) < 3):
            continue
        for token in models:
            by_token.setdefault(token, []).append(entry)
    if not exact:
        raise DataError(f"{label}: the table has no rows")
    return _Index(exact, normalized, {token: tuple(v) for token, v in by_token.items()})


def _count(text: str | None) -> int | None:
    """Return a positive whole count from a table cell, or None when empty or bad."""
    text = (text or "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def _parse_defaults(text: str, label: str) -> _Defaults:
    values: dict[str, float] = {}
    reader = _rows(text, label, ("key", "value"))
    for row in reader:
        try:
            values[row["key"].strip()] = float(row["value"])
        except (TypeError, ValueError) as err:
            raise DataError(f"{label}, line {reader.line_num}: bad value {row!r}") from err
    per_thread_w = values.get("default_w_per_thread")
    if per_thread_w is None or not math.isfinite(per_thread_w) or per_thread_w <= 0:
        raise DataError(f"{label}: missing or bad default_w_per_thread")
    points: list[tuple[float, float]] = []
    for key, value in values.items():
        if key.startswith(_CURVE_PREFIX):
            try:
                points.append((float(key.removeprefix(_CURVE_PREFIX)) / 100.0, value))
            except ValueError as err:
                raise DataError(f"{label}: bad load curve key {key!r}") from err
    try:
        curve = _check_points(tuple(sorted(points)), "load curve")
    except ConfigError as err:
        raise DataError(f"{label}: {err}") from err
    return _Defaults(per_thread_w, curve)


def _check_points(
    points: tuple[tuple[float, float], ...], key: str
) -> tuple[tuple[float, float], ...]:
    accepted = (
        "at least two (utilization, fraction) points with strictly increasing, "
        "finite utilizations and finite fractions >= 0"
    )
    checked = tuple((float(x), float(y)) for x, y in points)
    if len(checked) < 2:
        raise ConfigError(key, points, accepted)
    for (x0, _), (x1, _) in pairwise(checked):
        if not x1 > x0:
            raise ConfigError(key, points, accepted)
    if not all(math.isfinite(x) and math.isfinite(y) and y >= 0 for x, y in checked):
        raise ConfigError(key, points, accepted)
    return checked

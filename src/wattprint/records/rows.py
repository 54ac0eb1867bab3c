"""A row of wattprint's emissions.csv read to be counted: its own figures, and a key for the rest.

A report lists its first runs and only counts the others, and building a
:class:`~wattprint.records.record.RunRecord` for each of those (its nested
records, its unknown fields) costs more than everything else the report
does with it. So :func:`wattprint.records.read.read_runs` gives a report a
:class:`RunRow` for each row of wattprint's CSV: the figures that differ
from run to run, already with the record's meaning (IT energies, the PUE
taken out where the file put it in), and a key.

The key holds every other cell the record is made from (each column of
:data:`~wattprint.records.columns.TABLE` but the :data:`PER_RUN` ones), which
cells are empty (the run id's too), and whether the water and
functional-unit figures are zero (a record counts those as unknown). Two
rows with the same key give records equal in every field but the ones a
:class:`RunRow` carries, their origin and their components' power, so a
reader can work out what depends on the rest once per key;
:meth:`RunRow.record` builds the whole record.

Every cell is checked as the record's reader checks it: a row whose
numbers, whole numbers and times do not all convert, or that holds ``nan``
or ``inf``, is read the full way, which names the bad value or gives the
record.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, TypeVar

from wattprint._record import NamedTuple
from wattprint.records.columns import TABLE
from wattprint.records.record import COMPONENTS, RunRecord

PER_RUN: frozenset[str] = frozenset({
    # carried by a RunRow
    "timestamp", "project_name", "run_id", "run_group", "duration", "started_at_utc",
    "ended_at_utc", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed", "emissions",
    "intensity_g_per_kwh", "water_consumed", "wattprint_water_total_l", "embodied_kg", "units",
    "wattprint_energy_kwh_low", "wattprint_energy_kwh_high", "wattprint_emissions_kg_low",
    "wattprint_emissions_kg_high",
    # only whether it is empty goes into the record (in the key)
    "wattprint_it_energy_kwh",
    # not in the record, or only its components' power
    "emissions_rate", "cpu_power", "gpu_power", "ram_power", "cpu_utilization_percent",
    "gpu_utilization_percent", "ram_utilization_percent", "ram_used_gb", "rank", "local_rank",
    "sci_g_per_unit", "wattprint_ram_charged_gib",
})  # fmt: skip
"""The columns whose cells are not in a row's key: they differ from run to run."""

_BOUNDS = (
    "wattprint_energy_kwh_low", "wattprint_energy_kwh_high",
    "wattprint_emissions_kg_low", "wattprint_emissions_kg_high",
)  # fmt: skip
_T = TypeVar("_T")
_KINDS = {c.name: c.kind for c in TABLE}
_PLANS_KEPT = 256
"""The most patterns of empty per-run cells a file's reader remembers."""
_KEYS_KEPT = 65536
"""The most keys a file's reader remembers; a row of another key is read the full way."""
_Flags = tuple[str, bool, bool, bool]
"""A row's key cells joined, and whether its water, units and run id are given (not zero)."""
_UNSEEN = object()
_SEPARATOR = "\x1f"  # the key's cells are joined with it, unless one holds it
_new = tuple.__new__

Build = Callable[[list[str], str], RunRecord]
"""Makes a row's whole record from its cells and origin (``path:line``)."""


class RunRow(NamedTuple):
    """A run of wattprint's CSV as a report counts it: its own figures and the key of the rest.

    Attributes:
        key: equal for two rows whose records are equal but for the fields
            below, their origin and their components' power (hashable).
        run_id: the run's id; None when the cell is empty.
        project: the project name.
        run_group: the run group.
        started_at: start time.
        ended_at: end time (``ended_at_utc``, else ``timestamp``).
        duration_s: Units: s.
        it_energy_kwh: IT energy of each component, before PUE, in
            :data:`~wattprint.records.record.COMPONENTS` order (the record's
            components' order); None when unknown. Units: kWh.
        energy_kwh: facility energy recorded. Units: kWh.
        emissions_kg: emissions recorded. Units: kg CO2e.
        energy_kwh_low: recorded low bound of ``energy_kwh``. Units: kWh.
        energy_kwh_high: recorded high bound of ``energy_kwh``. Units: kWh.
        emissions_kg_low: recorded low bound of ``emissions_kg``. Units: kg CO2e.
        emissions_kg_high: recorded high bound of ``emissions_kg``. Units: kg CO2e.
        intensity_g_per_kwh: mean grid intensity. Units: gCO2e/kWh.
        water_l: water recorded (the record's meaning). Units: L.
        embodied_kg: embodied share recorded. Units: kg CO2e.
        units: functional units (None when empty or zero, as in the record).
        origin: ``path:line`` of the row.
        cells: the row's cells, as read.
        build: makes the whole record (see :meth:`record`).
    """

    key: object
    run_id: str | None
    project: str | None
    run_group: str | None
    started_at: datetime | None
    ended_at: datetime | None
    duration_s: float | None
    it_energy_kwh: tuple[float | None, ...]
    energy_kwh: float | None
    emissions_kg: float | None
    energy_kwh_low: float | None
    energy_kwh_high: float | None
    emissions_kg_low: float | None
    emissions_kg_high: float | None
    intensity_g_per_kwh: float | None
    water_l: float | None
    embodied_kg: float | None
    units: float | None
    origin: str
    cells: list[str]
    build: Build

    def record(self) -> RunRecord:
        """Return the row's whole run record (as :func:`read_records` gives it)."""
        return self.build(self.cells, self.origin)


def _tuple_getter(indexes: Sequence[int]) -> Callable[[Sequence[_T]], tuple[_T, ...]]:
    """Return a function taking ``indexes`` of a sequence, always as a tuple."""
    if not indexes:
        return lambda _: ()
    if len(indexes) == 1:
        (i,) = indexes
        return lambda seq: (seq[i],)
    first, *rest = indexes
    return itemgetter(first, *rest)


class _Key:
    """The key of some rows of one file (compared by identity), and what it says of them.

    Attributes:
        divisor: what the file's component energies are divided by to be IT energy.
    """

    __slots__ = ("divisor",)

    def __init__(self, divisor: float) -> None:
        self.divisor = divisor


class _Plan:
    """How the rows with one pattern of empty per-run cells are read the fast way.

    A row's typed per-run cells are converted as ``[*numbers, None, *times,
    None]``; an empty or absent column is picked as the None after its kind.
    """

    __slots__ = ("blanks", "divide", "keys", "numbers", "pick", "times", "whole")

    def __init__(self, at: dict[str, int], typed: list[str], filled: tuple[bool, ...]) -> None:
        numbers = [n for n, name in enumerate(typed) if filled[n] and _KINDS[name] != "time"]
        times = [n for n, name in enumerate(typed) if filled[n] and _KINDS[name] == "time"]
        # the getters take the cells of the whole row
        self.numbers = _tuple_getter([at[typed[n]] for n in numbers])
        self.whole = _tuple_getter(
            [k for k, n in enumerate(numbers) if _KINDS[typed[n]] == "integer"]
        )
        self.times = _tuple_getter([at[typed[n]] for n in times])
        self.blanks = _tuple_getter([at[name] for n, name in enumerate(typed) if not filled[n]])
        blank = len(numbers)

        def number(name: str) -> int:
            n = typed.index(name) if name in typed else -1
            return numbers.index(n) if n in numbers else blank

        def time(name: str) -> int:
            n = typed.index(name) if name in typed else -1
            return blank + 1 + (times.index(n) if n in times else len(times))

        # Since wattprint_it_energy_kwh exists, the component columns include the PUE and
        # water_consumed is on site only (as csv_form.wattprint_record reads them).
        self.divide = number("wattprint_it_energy_kwh") != blank
        water = "wattprint_water_total_l" if self.divide else "water_consumed"
        self.pick = _tuple_getter([
            *(number(f"{c}_energy") for c in COMPONENTS),
            *(number(n) for n in ("duration", "energy_consumed", "emissions", *_BOUNDS)),
            *(number(n) for n in ("intensity_g_per_kwh", water, "embodied_kg", "units")),
            time("started_at_utc"), time("ended_at_utc"), time("timestamp"),
        ])  # fmt: skip
        self.keys: dict[_Flags, _Key | None] = {}


def _checked(cells: tuple[str, ...], kinds: tuple[str, ...]) -> bool:
    """Tell whether every cell converts, as the record's reader converts it, to a finite value."""
    try:
        for cell, kind in zip(cells, kinds, strict=True):
            if not cell or kind == "text":
                continue
            if kind == "time":
                datetime.fromisoformat(cell)
                continue
            number = float(cell)
            if not math.isfinite(number) or (kind == "integer" and not number.is_integer()):
                return False
    except ValueError:
        return False
    return True


def row_reader(
    header: Sequence[str], build: Build
) -> Callable[[list[str], str], RunRow | RunRecord]:
    """Return how a row of wattprint's CSV with ``header`` becomes a :class:`RunRow`.

    A row that does not read the fast way (a bad or non-finite value) goes
    to ``build``, which raises the error naming it, or returns the record.

    Args:
        header: the file's header (wattprint's columns, each once).
        build: makes a row's whole record from its cells and origin; it
            raises :class:`~wattprint.errors.DataError` for a damaged row.
    """
    at = {name: i for i, name in enumerate(header) if name in _KINDS}
    typed = [n for n in sorted(at, key=at.__getitem__) if n in PER_RUN and _KINDS[n] != "text"]
    per_run = _tuple_getter([at[n] for n in typed])
    static_names = [n for n in sorted(at, key=at.__getitem__) if n not in PER_RUN]
    static = _tuple_getter([at[n] for n in static_names])
    static_kinds = tuple(_KINDS[n] for n in static_names)
    pue_at = static_names.index("pue") if "pue" in static_names else None
    separators = len(static_names) - 1
    run_id_at, project_at, group_at = at["run_id"], at["project_name"], at.get("run_group")
    plans: dict[tuple[bool, ...], _Plan] = {}
    kept = [0]  # keys remembered, over every plan
    isfinite, fromisoformat, is_integer = math.isfinite, datetime.fromisoformat, float.is_integer

    def key_of(plan: _Plan, cells: tuple[str, ...], flags: _Flags) -> _Key | None:
        key = None
        if _checked(cells, static_kinds):
            pue = float(cells[pue_at]) if pue_at is not None and cells[pue_at] else None
            key = _Key(pue if plan.divide and pue else 1.0)
        if kept[0] < _KEYS_KEPT:
            plan.keys[flags] = key
            kept[0] += 1
        return key

    def plan_of(cells: list[str]) -> _Plan:
        filled = tuple(map(bool, per_run(cells)))
        plan = plans.get(filled)
        if plan is None:
            plan = _Plan(at, typed, filled)
            if len(plans) < _PLANS_KEPT:
                plans[filled] = plan
        last[0] = plan
        return plan

    last = [_Plan(at, typed, (False,) * len(typed))]

    def read(cells: list[str], origin: str) -> RunRow | RunRecord:
        plan = last[0]  # most rows leave the same cells empty as the row before
        if any(plan.blanks(cells)):
            plan = plan_of(cells)
        try:
            numbers = list(map(float, plan.numbers(cells)))
            times = list(map(fromisoformat, plan.times(cells)))
        except ValueError:  # a cell is empty that was not in the row before, or is bad
            plan = plan_of(cells)
            try:
                numbers = list(map(float, plan.numbers(cells)))
                times = list(map(fromisoformat, plan.times(cells)))
            except ValueError:
                return build(cells, origin)
        if not isfinite(sum(numbers)) or not all(map(is_integer, plan.whole(numbers))):
            return build(cells, origin)  # nan, inf (or a sum past the largest float), a fraction
        values: list[Any] = numbers
        values.append(None)
        values.extend(times)
        values.append(None)
        (cpu, gpu, ram, duration, energy, emissions, e_low, e_high, m_low, m_high,
         intensity, water, embodied, units, started, ended, stamp) = plan.pick(values)  # fmt: skip
        static_cells = static(cells)
        joined = _SEPARATOR.join(static_cells)
        if joined.count(_SEPARATOR) != separators:
            return build(cells, origin)  # a cell holds the separator: no key
        run_id = cells[run_id_at]
        flags = (joined, bool(water), bool(units), bool(run_id))
        seen = plan.keys.get(flags, _UNSEEN)
        key = key_of(plan, static_cells, flags) if seen is _UNSEEN else seen
        if not isinstance(key, _Key):
            return build(cells, origin)  # a key cell does not convert, or is not finite
        divisor = key.divisor
        return _new(
            RunRow,
            (
                key,
                run_id or None,
                cells[project_at] or None,
                cells[group_at] or None if group_at is not None else None,
                started,
                ended or stamp,
                duration,
                (
                    cpu / divisor if cpu is not None else None,
                    gpu / divisor if gpu is not None else None,
                    ram / divisor if ram is not None else None,
                ),
                energy,
                emissions,
                e_low,
                e_high,
                m_low,
                m_high,
                intensity,
                water,
                embodied,
                units if units else None,
                origin,
                cells,
                build,
            ),
        )

    return read

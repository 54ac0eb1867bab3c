"""Recompute a JSON report's derived figures from its raw figures.

Each run's IT energy, facility energy, emissions, water, embodied share and
SCI; the totals, the components, the tasks, the figures per unit, the
equivalents and the what-if are all computed again, with the formulas of
:mod:`wattprint.impact`, from the raw figures the report holds, and compared
with what the report says. A figure that was changed by hand fails here even
in an unsigned report, unless every figure derived from it was changed to
match; the signature covers that case.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from wattprint.advice.whatif import place_at
from wattprint.errors import ConfigError
from wattprint.impact.carbon import emissions_kg, facility_energy_kwh
from wattprint.impact.embodied import embodied_share_kg
from wattprint.impact.equivalents import Factor, equivalents
from wattprint.impact.sci import sci
from wattprint.impact.water import water_l
from wattprint.records.record import COMPONENTS
from wattprint.units import G_PER_KG

REL_TOL = 1e-9
"""Relative tolerance of a recomputed figure (the arithmetic is the same, so
the only differences are those of floating point)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One check of a report.

    Attributes:
        name: what was checked, e.g. ``run 1a2b3c4d emissions``.
        passed: True, False, or None when it could not be run (inputs unknown).
        detail: the figures compared, or why it failed.
    """

    name: str
    passed: bool | None
    detail: str


Data = dict[str, Any]


def _close(expected: float | None, found: object) -> bool:
    if expected is None or found is None:
        return expected is None and found is None
    if isinstance(found, bool) or not isinstance(found, (int, float)):
        return False
    return math.isclose(expected, found, rel_tol=REL_TOL, abs_tol=1e-18)


def _compare(name: str, formula: str, expected: float | None, found: object) -> Check:
    if _close(expected, found):
        return Check(name, True, f"{formula} = {expected!r}")
    return Check(name, False, f"{formula} = {expected!r}, the report says {found!r}")


def _guarded(name: str, make: Callable[[], Iterator[Check]]) -> Iterator[Check]:
    """Run ``make``; a missing or mistyped field fails the check instead of raising."""
    try:
        yield from make()
    except (KeyError, TypeError, ValueError, AttributeError, ConfigError) as err:
        yield Check(name, False, f"a field is missing or malformed ({err!r})")


def _fsum_known(values: list[Any]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return math.fsum(known) if known else None


def _run_checks(run: Data, label: str) -> Iterator[Check]:
    inputs = run["inputs"]
    it_kwh = _fsum_known([inputs[f"{c}_energy_kwh"] for c in COMPONENTS])
    yield _compare(f"{label} IT energy", "cpu + gpu + ram", it_kwh, run["it_energy_kwh"])
    energy = facility_energy_kwh(it_kwh, inputs["pue"]) if it_kwh is not None else None
    yield _compare(f"{label} energy", "IT energy x PUE", energy, run["energy_kwh"])
    intensity = inputs["intensity_g_per_kwh"]
    if energy is not None and intensity is not None:
        kg = emissions_kg(energy, intensity)
        yield _compare(f"{label} emissions", "energy x intensity", kg, run["emissions_kg"])
    grid, wue = inputs["grid_water_l_per_kwh"], inputs["wue_l_per_kwh"]
    if it_kwh is not None and grid is not None and wue is not None:
        litres = water_l(it_kwh, pue=inputs["pue"], wue_l_per_kwh=wue, grid_water_l_per_kwh=grid)
        yield _compare(
            f"{label} water", "IT energy x (WUE + PUE x grid water)", litres, run["water_l"]
        )
    counted = energy is not None and run["emissions_kg"] is not None
    if counted != run["counted"]:
        yield Check(
            f"{label} counted", False, f"should be {counted}, the report says {run['counted']}"
        )
    embodied = run["embodied"]
    if embodied is not None and embodied["recorded"]:
        yield Check(
            f"{label} embodied", None, "as the tracker recorded it; its inputs are not here"
        )
    elif embodied is not None:
        total = math.fsum(p["count"] * p["kg_each"] for p in embodied["parts"])
        yield _compare(
            f"{label} embodied total",
            "sum of count x kg_each",
            total,
            embodied["total_embodied_kg"],
        )
        share = embodied_share_kg(
            total_embodied_kg=total,
            duration_s=embodied["duration_s"],
            lifetime_years=embodied["lifetime_years"],
            reserved_share=embodied["reserved_share"],
        )
        yield _compare(
            f"{label} embodied",
            "total x duration / lifetime x share",
            share,
            embodied["embodied_kg"],
        )
    if run["sci"] is not None:
        yield from _sci_checks(
            f"{label} SCI",
            run["sci"],
            energy_kwh=energy,
            intensity=intensity,
            embodied_kg=embodied["embodied_kg"] if embodied is not None else 0.0,
            water=run["water_l"] or 0.0,
            units=inputs["units"],
            unit=inputs["unit"],
        )


def _sci_checks(
    name: str,
    found: Data,
    *,
    energy_kwh: Any,
    intensity: Any,
    embodied_kg: Any,
    water: Any,
    units: Any,
    unit: Any,
) -> Iterator[Check]:
    score = sci(
        energy_kwh=energy_kwh,
        intensity_g_per_kwh=intensity,
        embodied_kg=embodied_kg,
        water_l=water,
        units=units,
        unit=unit,
    )
    for field in ("g_per_unit", "energy_kwh_per_unit", "water_l_per_unit", "embodied_g"):
        yield _compare(f"{name} {field}", "(E x I + M) / R", getattr(score, field), found[field])


def _totals_checks(data: Data) -> Iterator[Check]:
    runs = data["runs"]
    counted = [r for r in runs if r["counted"]]
    totals = data["totals"]
    energy = math.fsum(r["energy_kwh"] or 0.0 for r in counted)
    kg = math.fsum(r["emissions_kg"] or 0.0 for r in counted)
    embodied = _fsum_known(
        [r["embodied"]["embodied_kg"] if r["embodied"] else None for r in counted]
    )
    expected = {
        "duration_s": math.fsum(r["duration_s"] or 0.0 for r in counted),
        "it_energy_kwh": math.fsum(r["it_energy_kwh"] or 0.0 for r in counted),
        "energy_kwh": energy,
        "emissions_kg": kg,
        "intensity_g_per_kwh": kg * G_PER_KG / energy if energy > 0 else None,
        "water_l": _fsum_known([r["water_l"] for r in counted]),
        "embodied_kg": embodied,
        "total_kg": kg + (embodied or 0.0),
        "runs": float(len(runs)),
        "runs_counted": float(len(counted)),
    }
    for field, value in expected.items():
        yield _compare(f"totals {field}", "sum over counted runs", value, totals[field])
    it_total = expected["it_energy_kwh"] or 0.0
    for line in data["components"]:
        c = line["component"]
        part = math.fsum(r["inputs"][f"{c}_energy_kwh"] or 0.0 for r in counted)
        yield _compare(
            f"component {c} energy", "sum over counted runs", part, line["it_energy_kwh"]
        )
        share = 100.0 * part / it_total if it_total > 0 else 0.0
        yield _compare(
            f"component {c} share", "100 x energy / IT energy", share, line["share_percent"]
        )


def _task_checks(data: Data) -> Iterator[Check]:
    emissions_of = {r["run_id"]: r["emissions_kg"] for r in data["runs"]}
    for task in data["tasks"]:
        name = f"task {task['name']} of run {str(task['run_id'])[:8]}"
        kg = emissions_kg(task["energy_kwh"], task["intensity_g_per_kwh"])
        yield _compare(f"{name} emissions", "energy x intensity", kg, task["emissions_kg"])
        run_kg = emissions_of.get(task["run_id"])
        share = 100.0 * kg / run_kg if run_kg else None
        yield _compare(f"{name} share", "100 x task / run emissions", share, task["share_percent"])


def _per_unit_checks(data: Data) -> Iterator[Check]:
    found, totals = data["per_unit"], data["totals"]
    if found is None:
        return
    counted = [r for r in data["runs"] if r["counted"]]
    yield from _sci_checks(
        "per unit",
        found,
        energy_kwh=totals["energy_kwh"],
        intensity=totals["intensity_g_per_kwh"],
        embodied_kg=totals["embodied_kg"] or 0.0,
        water=totals["water_l"] or 0.0,
        units=math.fsum(r["inputs"]["units"] for r in counted),
        unit=found["unit"],
    )


def _equivalent_checks(data: Data) -> Iterator[Check]:
    totals = data["totals"]
    for item in data["equivalents"]:
        factor = Factor(**item["factor"])
        (value,) = equivalents(
            emissions_kg=totals["emissions_kg"], energy_kwh=totals["energy_kwh"], factors=(factor,)
        )
        yield _compare(
            f"equivalent {factor.key}",
            f"{factor.basis} / {factor.per_unit!r}",
            value.value,
            item["value"],
        )


def _what_if_checks(data: Data) -> Iterator[Check]:
    what_if, totals = data["what_if"], data["totals"]
    if what_if is None:
        return
    energy, current = what_if["energy_kwh"], what_if["current_g_per_kwh"]
    yield _compare("what-if energy", "the totals' energy", totals["energy_kwh"], energy)
    yield _compare(
        "what-if intensity", "the totals' intensity", totals["intensity_g_per_kwh"], current
    )
    yield _compare(
        "what-if current emissions", "energy x intensity", emissions_kg(energy, current),
        what_if["current_emissions_kg"],
    )  # fmt: skip
    baseline = what_if.get("baseline_g_per_kwh") or current  # savings are against it
    for group in ("countries_best", "countries_worst", "cloud_best", "cloud_worst", "months"):
        for p in what_if[group]:
            there = place_at(p["key"], p["name"], p["intensity_g_per_kwh"], "", energy, baseline)
            for field in ("emissions_kg", "saving_kg", "saving_percent"):
                yield _compare(
                    f"what-if {p['key']} {field}", "energy x its intensity, saving against now",
                    getattr(there, field), p[field],
                )  # fmt: skip


def recompute_checks(data: Data) -> tuple[Check, ...]:
    """Return one check per derived figure of the report ``data``."""
    checks: list[Check] = []
    runs = data.get("runs")
    if not isinstance(runs, list):
        return (Check("runs", False, "the report has no list of runs"),)
    for n, run in enumerate(runs, start=1):
        label = f"run {str(run.get('run_id') or n)[:8]}" if isinstance(run, dict) else f"run {n}"
        checks += _guarded(label, functools.partial(_run_checks, run, label))
    unlisted = data.get("runs_not_listed") or 0
    if unlisted:
        why = f"{unlisted} runs counted in the totals are not listed in the report"
        checks.append(Check("totals", None, f"not recomputed: {why}"))
        checks.append(Check("per unit", None, f"not recomputed: {why}"))
    else:
        checks += _guarded("totals", lambda: _totals_checks(data))
        checks += _guarded("per unit", lambda: _per_unit_checks(data))
    checks += _guarded("tasks", lambda: _task_checks(data))
    checks += _guarded("equivalents", lambda: _equivalent_checks(data))
    checks += _guarded("what-if", lambda: _what_if_checks(data))
    return tuple(checks)

"""What one run adds to a report: a part that runs alike share, and its own figures.

A report counts every run and lists only the first
(:data:`~wattprint.report.model.RUNS_LISTED`). What a run adds splits in two:

- its :class:`Profile`: what it adds to the methodology, the sources, the
  uncertainty notes, the components, the per-unit and what-if inputs (its
  methods, place, PUE, tool, notes, unknown fields, which figures are
  known), with what its figures are computed from beside its own numbers;
- its :class:`Figures`: duration, energies, emissions, water, embodied
  share, their bounds and times, to be summed.

A run read from a file's row (a :class:`~wattprint.records.rows.RunRow`)
has a key shared by the rows whose records differ only in their figures:
their profile is the same, so it is made once, from the first such row's
record and report line (:func:`profile_of`), and each further row's
figures are computed straight from the row (:func:`row_figures`) with the
very functions the report line uses (:func:`~wattprint.report.runs.line_figures`,
:func:`~wattprint.report.runs.ranges_from`,
:func:`~wattprint.impact.embodied.embodied_share_kg`), so a run counted
from its row adds exactly what its record would.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from wattprint._record import NamedTuple
from wattprint.impact.embodied import embodied_share_kg
from wattprint.records.record import COMPONENTS, RunRecord
from wattprint.records.rows import RunRow
from wattprint.report.runs import RunLine, fixed_band, line_figures, polled_band, ranges_from
from wattprint.report.tally import Entries, entries_of


class Profile(NamedTuple):
    """What a run adds to a report beside its figures, and what they are computed from.

    Attributes:
        entries: what it adds to the methodology, sources and uncertainty notes
            (``entries.counted``: it is in the totals).
        components: per component (:data:`~wattprint.records.record.COMPONENTS`
            order): its method (``unknown`` when not said), whether its
            measured flag counts (not for ``none``), that flag, its detail.
        declared: the functional unit it declares; None when it declares no units.
        place_key: its place, as the what-if tells places apart.
        unit: the functional unit's name as recorded (``""`` when none).
        pue: the PUE applied (1.0 when the file gives none).
        wue_l_per_kwh: on-site water per kWh of IT energy. Units: L/kWh.
        water_implied: its water figure implies a grid water intensity.
        band_methods: per component (the record's order), the method its band is of.
        bands: per component, its band's low and high factors; None when
            the band depends on the run's duration (a polled method).
        fixed_bands: ``bands`` when none depends on the duration, else None.
        embodied_recorded: True when its embodied share is recorded, False
            when the report estimates it, None when it has none.
        embodied_total: of an estimate: the machine's total (kg CO2e), its
            life (years) and the share charged to the run.
    """

    entries: Entries
    components: tuple[tuple[str, bool, bool | None, str], ...]
    declared: str | None
    place_key: tuple[str | None, ...]
    unit: str
    pue: float
    wue_l_per_kwh: float | None
    water_implied: bool
    band_methods: tuple[str, ...]
    bands: tuple[tuple[float, float] | None, ...]
    fixed_bands: tuple[tuple[float, float], ...] | None
    embodied_recorded: bool | None
    embodied_total: tuple[float, float, float] | None


class Figures(NamedTuple):
    """A run's own figures, as a report sums them.

    Attributes:
        duration_s: Units: s.
        it_energy_kwh: IT energy. Units: kWh.
        energy_kwh: facility energy. Units: kWh.
        emissions_kg: Units: kg CO2e.
        water_l: Units: L.
        embodied_kg: its embodied share. Units: kg CO2e.
        energy_kwh_low: Units: kWh.
        energy_kwh_high: Units: kWh.
        emissions_kg_low: Units: kg CO2e.
        emissions_kg_high: Units: kg CO2e.
        started_at: start (the report line writes it as ``isoformat()``).
        ended_at: end.
        parts: IT energy of each component, in the record's order. Units: kWh.
        inputs: IT energy of each of :data:`~wattprint.records.record.COMPONENTS`. Units: kWh.
        units: functional units; None when not declared.
        recorded_energy_kwh: facility energy as recorded. Units: kWh.
        recorded_emissions_kg: emissions as recorded. Units: kg CO2e.
    """

    duration_s: float | None
    it_energy_kwh: float | None
    energy_kwh: float | None
    emissions_kg: float | None
    water_l: float | None
    embodied_kg: float | None
    energy_kwh_low: float | None
    energy_kwh_high: float | None
    emissions_kg_low: float | None
    emissions_kg_high: float | None
    started_at: datetime | None
    ended_at: datetime | None
    parts: tuple[float | None, ...]
    inputs: tuple[float | None, ...]
    units: float | None
    recorded_energy_kwh: float | None
    recorded_emissions_kg: float | None


_new = tuple.__new__


def profile_of(record: RunRecord, line: RunLine) -> Profile:
    """Return what the run of ``record`` (report line ``line``) adds beside its figures."""
    components = []
    by_name = {c.component: c for c in reversed(record.components)}  # the first of a name
    for name in COMPONENTS:
        c = by_name.get(name)
        components.append(
            (
                c.method if c and c.method else "unknown",
                not (c and c.method == "none"),
                c.measured if c else None,
                c.detail if c else "",
            )
        )
    place = line.place
    methods = tuple(c.method or "unknown" for c in record.components)
    bands = tuple(fixed_band(m) for m in methods)
    embodied = line.embodied
    total = None
    if embodied is not None and not embodied.recorded:
        kg, life, share = (
            embodied.total_embodied_kg,
            embodied.lifetime_years,
            embodied.reserved_share,
        )
        if kg is not None and life is not None and share is not None:
            total = (kg, life, share)
    return Profile(
        entries=entries_of(record, line),
        components=tuple(components),
        declared=line.inputs.unit if line.inputs.units else None,
        place_key=(
            place.country_iso3,
            place.country_name,
            place.region,
            place.cloud_provider,
            place.cloud_region,
        ),
        unit=record.unit or "",
        pue=line.inputs.pue,
        wue_l_per_kwh=record.wue_l_per_kwh,
        water_implied=record.format != "codecarbon-csv",
        band_methods=methods,
        bands=bands,
        fixed_bands=None if None in bands else cast("tuple[tuple[float, float], ...]", bands),
        embodied_recorded=None if embodied is None else embodied.recorded,
        embodied_total=total,
    )


def figures_of(record: RunRecord, line: RunLine) -> Figures:
    """Return the figures of the run of ``record``, from its report line ``line``."""
    inputs = line.inputs
    return Figures(
        line.duration_s,
        line.it_energy_kwh,
        line.energy_kwh,
        line.emissions_kg,
        line.water_l,
        line.embodied.embodied_kg if line.embodied else None,
        line.energy_kwh_low,
        line.energy_kwh_high,
        line.emissions_kg_low,
        line.emissions_kg_high,
        record.started_at,
        record.ended_at,
        tuple(c.it_energy_kwh for c in record.components),
        tuple(getattr(inputs, f"{name}_energy_kwh") for name in COMPONENTS),
        inputs.units,
        record.energy_kwh,
        record.emissions_kg,
    )


def _polled(p: Profile, duration_s: float | None) -> tuple[tuple[float, float], ...]:
    """Return the bands of a profile some of whose bands depend on the run's duration."""
    return tuple(
        band or polled_band(method, duration_s or 0.0)
        for method, band in zip(p.band_methods, p.bands, strict=True)
    )


def row_figures(row: RunRow, p: Profile) -> Figures:
    """Return the figures of the run of ``row``, whose key's profile is ``p``.

    ``p`` must be the profile of a row of the same key, and the row's
    duration not negative (a negative one has no embodied share: count its record).
    """
    (_, _, _, _, started, ended, duration, energies, energy_rec, emissions_rec,
     energy_low, energy_high, emissions_low, emissions_high, intensity, water_rec,
     embodied, units, *_) = row  # fmt: skip
    it_kwh, energy, emissions, _, water = line_figures(
        energies, p.pue, intensity, water_rec, p.wue_l_per_kwh, p.water_implied
    )
    recorded = (energy_rec, energy_low, energy_high, emissions_rec, emissions_low, emissions_high)
    bands = p.fixed_bands or _polled(p, duration)
    bounds = ranges_from(energy, emissions, p.pue, recorded, energies, bands)
    if not p.embodied_recorded:
        embodied = None
    if p.embodied_total is not None and duration is not None:
        total, lifetime, share = p.embodied_total
        embodied = embodied_share_kg(
            total_embodied_kg=total,
            duration_s=duration,
            lifetime_years=lifetime,
            reserved_share=share,
        )
    return _new(Figures, (
        duration, it_kwh, energy, emissions, water, embodied, *bounds, started, ended,
        energies, energies, units, energy_rec, emissions_rec,
    ))  # fmt: skip

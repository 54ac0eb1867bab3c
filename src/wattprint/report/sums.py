"""The figures of a report's counted runs, summed exactly, and what else their figures give.

:class:`Sums` is handed each run's figures
(:class:`~wattprint.report.counting.Figures`), in the order the runs are
counted, and keeps: every figure of the counted runs as an 8-byte float,
for exact sums (:func:`math.fsum`, whatever the order, so a report is the
same whichever way it was made); the first start and the last end; and the
largest training and inference runs, which the parity advice compares.
"""

from __future__ import annotations

import math
from array import array
from datetime import datetime

from wattprint.advice.actions import RunFigures
from wattprint.records.record import COMPONENTS
from wattprint.report.counting import Figures, Profile
from wattprint.report.tally import Tally

BOUNDS = ("energy_kwh_low", "energy_kwh_high", "emissions_kg_low", "emissions_kg_high")
"""The bounds of the totals, as :class:`~wattprint.report.model.Totals` names them."""

EACH = (
    "duration", "it_energy", "energy", "emissions", *(f"{c}_energy" for c in COMPONENTS), *BOUNDS
)  # fmt: skip
"""The figures every counted run adds (0.0 where unknown; bounds only used when all are known)."""

_EACH_WAITING = len(EACH) * 1024
"""How many figures wait in a list before they are moved to the array (a list takes them faster)."""

KNOWN = ("water", "embodied", "units")
"""The figures only the runs that know them add."""


class Sums:
    """The figures of the runs counted so far.

    Args:
        tally: also told each counted run's energies (for the uncertainty notes).
    """

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.counted = 0
        self.bounds_known = True
        self.training: RunFigures | None = None
        self.inference: RunFigures | None = None
        self._each = array("d")  # the figures of EACH of each counted run, one run after another
        self._each_waiting: list[float] = []  # the latest, moved to _each in blocks
        self._known = {name: array("d") for name in KNOWN}
        self._first_at: datetime | None = None
        self._last_at: datetime | None = None
        self._add_water = self._known["water"].append
        self._add_embodied = self._known["embodied"].append
        self._add_units = self._known["units"].append

    def add(self, p: Profile, f: Figures) -> None:
        """Add one run's figures (in the order the runs are counted)."""
        (duration, it_energy, energy, emissions, water, embodied, energy_low, energy_high,
         emissions_low, emissions_high, started, ended, parts, inputs, units, recorded_energy,
         recorded_emissions) = f  # fmt: skip
        recorded, declared = recorded_energy or 0.0, units or 0.0
        if recorded > 0:  # the runs the parity advice compares: largest inference and training
            if declared > 0:
                if self.inference is None or declared > self.inference.units:
                    kg = recorded_emissions or 0.0
                    self.inference = RunFigures(recorded, kg, declared, p.unit)
            elif self.training is None or recorded > self.training.energy_kwh:
                kg = recorded_emissions or 0.0
                self.training = RunFigures(recorded, kg, declared, p.unit)
        if not p.entries.counted:
            return
        self.counted += 1
        self.tally.count(p.entries, parts, it_energy)
        if (
            energy_low is None
            or energy_high is None
            or emissions_low is None
            or emissions_high is None
        ):
            self.bounds_known = False  # the totals' bounds are unknown: these go unused
            energy_low = energy_high = emissions_low = emissions_high = 0.0
        cpu, gpu, ram = inputs  # RunInputs' components
        each = self._each_waiting
        each.extend((
            duration or 0.0, it_energy or 0.0, energy or 0.0, emissions or 0.0,
            cpu or 0.0, gpu or 0.0, ram or 0.0,
            energy_low, energy_high, emissions_low, emissions_high,
        ))  # fmt: skip
        if len(each) >= _EACH_WAITING:
            self._each.fromlist(each)  # 8 bytes a figure, not a float object's 32
            each.clear()
        if water is not None:
            self._add_water(water)
        if embodied is not None:
            self._add_embodied(embodied)
        # The report line writes the times as isoformat(), and the first and last are the
        # least and greatest of those strings. Two times of one tzinfo (or both naive) are in
        # the order of their strings (fixed-width fields, then ".ffffff" after "+", "-" or
        # nothing), so the first and last are kept as times, and written out only to be
        # compared with a time of another tzinfo, and at the end.
        if started is not None:
            first = self._first_at
            if first is None:
                earlier = True
            elif started.tzinfo is first.tzinfo:
                earlier = started < first
            else:
                earlier = started.isoformat() < first.isoformat()
            if earlier:
                self._first_at = started
        if ended is not None:
            last = self._last_at
            if last is None:
                later = True
            elif ended.tzinfo is last.tzinfo:
                later = ended > last
            else:
                later = ended.isoformat() > last.isoformat()
            if later:
                self._last_at = ended
        if units:
            self._add_units(units)

    def known(self, name: str) -> float | None:
        """Return the exact sum of figure ``name`` of :data:`KNOWN`; None when no run knows it."""
        values = self._known[name]
        return math.fsum(values) if values else None

    def total(self, name: str) -> float:
        """Return the exact sum of figure ``name`` of :data:`EACH` over the counted runs."""
        if self._each_waiting:
            self._each.fromlist(self._each_waiting)
            self._each_waiting.clear()
        return math.fsum(self._each[EACH.index(name) :: len(EACH)])

    def first_started_at(self) -> str | None:
        """Return the first start of a counted run, as its report line writes it."""
        return self._first_at.isoformat() if self._first_at else None

    def last_ended_at(self) -> str | None:
        """Return the last end of a counted run, as its report line writes it."""
        return self._last_at.isoformat() if self._last_at else None

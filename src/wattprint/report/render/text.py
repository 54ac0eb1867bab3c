"""Figures as people read them, shared by every renderer: units scaled to the value.

``None`` is written ``unknown``: a report never prints a made-up zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from wattprint.units import J_PER_KWH
from wattprint.units_format import si

UNKNOWN = "unknown"


def _scaled(value: float, steps: tuple[tuple[float, str], ...], digits: int = 3) -> str:
    for factor, unit in steps:
        if abs(value) >= factor or factor == steps[-1][0]:
            return f"{value / factor:.{digits}g} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


_Steps = tuple[tuple[float, str], ...]
_ENERGY: _Steps = ((1e3, "MWh"), (1.0, "kWh"), (1e-3, "Wh"), (1e-6, "mWh"))
_MASS: _Steps = ((1e3, "t"), (1.0, "kg"), (1e-3, "g"), (1e-6, "mg"), (1e-9, "µg"))


def energy(kwh: float | None) -> str:
    """Return an energy in kWh as ``1.23 kWh``, ``45.6 Wh``, ``7.89 mWh`` or ``12 J``."""
    if kwh is None:
        return UNKNOWN
    if kwh == 0:
        return "0 kWh"
    if abs(kwh) < 1e-6:
        return si(kwh * J_PER_KWH, "J")
    return _scaled(kwh, _ENERGY)


def mass(kg: float | None, suffix: str = " CO2e") -> str:
    """Return a mass in kg as ``1.23 t``, ``4.56 kg``, ``7.89 g``, ``1.2 mg`` or ``3 µg``."""
    if kg is None:
        return UNKNOWN
    if kg == 0:
        return f"0 g{suffix}"
    return _scaled(kg, _MASS) + suffix


def _bounds(value: float, low: float | None, high: float | None, steps: _Steps) -> str:
    """Return ``, low–high`` in the unit ``value`` is written in ("" without bounds)."""
    if low is None or high is None or value == 0:
        return ""
    factor = next((f for f, _ in steps if abs(value) >= f), steps[-1][0])
    return f", {short(low / factor)}–{short(high / factor)}"


def short(number: float) -> str:
    """Return a bound to three significant digits, without an exponent: ``210``, ``17.6``."""
    return plain(number, 3)


def plain(value: float, digits: int = 3) -> str:
    """Return ``value`` to ``digits`` significant digits, never in e-notation: ``0.0000562``."""
    from decimal import Decimal

    text = format(Decimal(f"{value:.{digits}g}"), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


Unit = tuple[float, str]
"""A column's unit: its size in the column's base unit (kWh, kg) and its name."""


def column_unit(values: Sequence[float | None], steps: _Steps) -> Unit:
    """Return the one unit a column is written in: the one its largest value reads best in."""
    largest = max((abs(v) for v in values if v), default=0.0)
    return next(((f, u) for f, u in steps if largest >= f), steps[-1])


def energy_unit(values: Sequence[float | None]) -> Unit:
    """Return the unit of a column of energies given in kWh (J below 1 mWh)."""
    largest = max((abs(v) for v in values if v), default=0.0)
    if 0 < largest < 1e-6:
        return (1 / J_PER_KWH, "J")
    return column_unit(values, _ENERGY)


def mass_unit(values: Sequence[float | None]) -> Unit:
    """Return the unit of a column of masses given in kg."""
    return column_unit(values, _MASS)


def in_unit(
    value: float | None, unit: Unit, low: float | None = None, high: float | None = None,
    suffix: str = "",
) -> str:  # fmt: skip
    """Return ``value`` (and its range, when given) in the column's ``unit``."""
    if value is None:
        return UNKNOWN
    size, name = unit
    text = f"{plain(value / size)} {name}{suffix}"
    if low is not None and high is not None and value != 0:
        text += f", {short(low / size)}–{short(high / size)}"
    return text


def mass_range(
    kg: float | None, low: float | None, high: float | None, suffix: str = " CO2e"
) -> str:
    """Return a mass and its range in the same unit: ``2.1 kg CO2e, 1.4–3.3``."""
    if kg is None:
        return UNKNOWN
    return mass(kg, suffix) + _bounds(kg, low, high, _MASS)


def energy_range(kwh: float | None, low: float | None, high: float | None) -> str:
    """Return an energy and its range in the same unit: ``45.6 Wh, 43–48``."""
    if kwh is None:
        return UNKNOWN
    if abs(kwh) < 1e-6:
        return energy(kwh) + _bounds(kwh, low, high, ((1 / J_PER_KWH, "J"),))
    return energy(kwh) + _bounds(kwh, low, high, _ENERGY)


def water(litres: float | None) -> str:
    """Return a volume of water in L as ``1.23 m³``, ``4.56 L`` or ``7.89 mL``."""
    if litres is None:
        return UNKNOWN
    if litres == 0:
        return "0 L"
    return _scaled(litres, ((1e3, "m³"), (1.0, "L"), (1e-3, "mL"), (1e-6, "µL")))


def duration(seconds: float | None) -> str:
    """Return a duration in s as ``2.5 s``, ``3 min 20 s`` or ``4 h 05 min``."""
    if seconds is None:
        return UNKNOWN
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def intensity(g_per_kwh: float | None) -> str:
    """Return an intensity as ``56.1 gCO2e/kWh``."""
    return UNKNOWN if g_per_kwh is None else f"{g_per_kwh:.4g} gCO2e/kWh"


def number(value: float | None, digits: int = 3) -> str:
    """Return a plain number with ``digits`` significant digits."""
    return UNKNOWN if value is None else f"{value:.{digits}g}"


def percent(value: float | None) -> str:
    """Return a percentage as ``12.3%`` (a signed one stays signed)."""
    if value is None:
        return UNKNOWN
    return f"{value:,.0f}%" if abs(value) >= 100 else f"{value:.3g}%"


def count(value: float) -> str:
    """Return an equivalent's count readably: ``1,234``, ``5.6`` or ``0.0000781``."""
    if value >= 1000:
        return f"{value:,.0f}"
    return plain(value, 3)


def text(value: object) -> str:
    """Return a value as text, ``unknown`` for None."""
    return UNKNOWN if value is None or value == "" else str(value)


def when(iso: str | None) -> str:
    """Return an ISO 8601 time to the second: ``2026-11-23 03:47:37 UTC`` (local if naive)."""
    if not iso:
        return UNKNOWN
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M:%S") + " (no time zone)"
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

"""Figures as people read them, shared by every renderer: units scaled to the value.

``None`` is written ``unknown``: a report never prints a made-up zero.
"""

from __future__ import annotations

from datetime import datetime, timezone

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
        return f"{kwh * 3.6e6:.3g} J"
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
    """Return a bound to two significant digits, without an exponent below 1e4: ``210``."""
    return f"{float(f'{number:.2g}'):.0f}" if 100 <= abs(number) < 1e4 else f"{number:.2g}"


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
        return energy(kwh) + _bounds(kwh, low, high, ((1 / 3.6e6, "J"),))
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
    """Return an equivalent's count readably: ``1,234``, ``5.6`` or ``7.8e-05``."""
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 0.01 or value == 0:
        return f"{value:.3g}"
    return f"{value:.2e}"


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

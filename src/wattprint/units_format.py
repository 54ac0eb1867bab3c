"""Numbers as people read them: SI prefixes instead of ``0.00 mg`` or ``2.49e-05 km``.

Pure functions over numbers. Each picks the SI prefix that puts the figure
between 1 and 1000 and shows three significant digits, so a small figure
reads ``12.3 µg`` rather than ``0.00 mg`` and a zero reads ``0 J``.
"""

from __future__ import annotations

import math

from wattprint.units import J_PER_KWH

_PREFIXES: tuple[tuple[float, str], ...] = (
    (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
    (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"),
)  # fmt: skip


def _digits(value: float, digits: int) -> str:
    text = f"{value:.{digits}g}"
    if "e" in text:  # 1e+03 after rounding 999.95: show it whole
        text = f"{value:.0f}"
    return text


def _prefix(value: float) -> tuple[float, str]:
    """Return the SI factor and prefix that put ``value`` between 1 and 1000."""
    size = abs(value)
    for factor, prefix in _PREFIXES:
        if size >= factor * 0.9995:
            return factor, prefix
    return _PREFIXES[-1]


def si(value: float, unit: str, digits: int = 3) -> str:
    """Return ``value`` (in ``unit``) with an SI prefix: ``si(0.0123, "g")`` is ``12.3 mg``."""
    if not math.isfinite(value):
        return f"{value} {unit}"
    if value == 0:
        return f"0 {unit}"
    factor, prefix = _prefix(value)
    return f"{_digits(value / factor, digits)} {prefix}{unit}"


def _range(low: float, high: float, scale: float, factor: float) -> str:
    return f"{_digits(low * scale / factor, 2)}–{_digits(high * scale / factor, 2)}"


def energy_range_text(kwh: float, low_kwh: float, high_kwh: float) -> str:
    """Return ``low–high`` in the unit :func:`energy_text` writes ``kwh`` in (no unit shown)."""
    scale = 1000.0 if abs(kwh * 1000.0) >= 1.0 else J_PER_KWH
    factor, _ = _prefix(kwh * scale) if kwh else (1.0, "")
    return _range(low_kwh, high_kwh, scale, factor)


def mass_range_text(kg: float, low_kg: float, high_kg: float) -> str:
    """Return ``low–high`` in the unit :func:`mass_text` writes ``kg`` in (no unit shown)."""
    if abs(kg) >= 1000.0:
        return _range(low_kg, high_kg, 1.0, 1000.0)
    factor, _ = _prefix(kg * 1000.0) if kg else (1.0, "")
    return _range(low_kg, high_kg, 1000.0, factor)


def energy_text(kwh: float) -> str:
    """Return an energy given in kWh: ``1.23 kWh``, ``45.6 Wh``; below 1 Wh in J (``12 mJ``)."""
    wh = kwh * 1000.0
    if abs(wh) >= 1.0:
        return si(wh, "Wh")
    return si(kwh * J_PER_KWH, "J")


def mass_text(kg: float, suffix: str = "") -> str:
    """Return a mass given in kg: ``1.2 t``, ``4.56 kg``, ``7.89 g``, ``12.3 µg`` (+ ``suffix``)."""
    if abs(kg) >= 1000.0:
        return f"{_digits(kg / 1000.0, 3)} t{suffix}"
    return si(kg * 1000.0, "g") + suffix


def water_text(litres: float) -> str:
    """Return a volume given in litres: ``1.2 m³``, ``3.4 L``, ``5.6 mL``, ``7.8 µL``."""
    if abs(litres) >= 1000.0:
        return f"{_digits(litres / 1000.0, 3)} m³"
    return si(litres, "L")


def duration_text(seconds: float) -> str:
    """Return a duration given in s: ``2.5 years``, ``4 days``, ``3.1 h``, ``1.4 s``, ``3 ms``."""
    size = abs(seconds)
    for limit, scale, unit in (
        (365.25 * 86400, 365.25 * 86400, "years"), (86400, 86400, "days"),
        (3600, 3600, "h"), (60, 60, "min"),
    ):  # fmt: skip
        if size >= limit:
            return f"{_digits(seconds / scale, 3)} {unit}"
    return si(seconds, "s")


def distance_text(km: float) -> str:
    """Return a distance given in km: ``12.3 km``, ``45 m``, ``4.8 mm``, ``120 µm``."""
    return si(km * 1000.0, "m")

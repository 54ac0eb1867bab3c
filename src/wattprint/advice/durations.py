"""Durations as people write them: ``90``, ``90s``, ``15min``, ``3h``, ``1h30m``, ``2d``."""

from __future__ import annotations

import re
from datetime import timedelta

from wattprint.errors import ConfigError

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(min|d|h|m|s|)", re.IGNORECASE)
_SECONDS = {"d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(
    text: object,
    key: str = "duration",
    *,
    minimum_s: float = 0.0,
    maximum_s: float | None = None,
) -> timedelta:
    """Parse ``3h``, ``90m``, ``1h30m``, ``90`` (seconds)... into a duration > ``minimum_s``.

    Raises:
        ConfigError: not such a duration, or outside the bounds; names the
            value and the accepted form.
    """
    bounds = f" (from {minimum_s:g} s" + (f" to {maximum_s:g} s)" if maximum_s else ")")
    accepted = "a duration > 0 such as 90s, 15m, 3h, 1h30m or 2d" + (
        bounds if minimum_s or maximum_s else ""
    )
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(key, text, accepted)
    compact = text.strip().replace(" ", "")
    parts = _PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts).lower() != compact.lower():
        raise ConfigError(key, text, accepted)
    if len(parts) > 1 and any(u == "" for _, u in parts):
        raise ConfigError(key, text, accepted)  # a bare number only stands alone
    seconds = sum(float(n) * _SECONDS[u.lower()] for n, u in parts)
    if seconds <= 0 or seconds < minimum_s or (maximum_s is not None and seconds > maximum_s):
        raise ConfigError(key, text, accepted)
    return timedelta(seconds=seconds)

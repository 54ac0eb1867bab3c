"""Read a carbon-intensity forecast from text: the Carbon Aware SDK's JSON, or a CSV.

Accepted shapes:

* the SDK's emissions data, a JSON list of ``{"Location", "Time", "Rating",
  "Duration"}`` (``Duration`` as ``"HH:MM:SS"`` or minutes);
* the SDK Web API's forecast answer, a JSON list (or one object) holding
  ``forecastData`` points ``{"location", "timestamp", "duration", "value"}``
  (``duration`` in minutes);
* a CSV with a header ``time,intensity_g_per_kwh`` and an optional
  ``duration_min`` column; without it each point lasts until the next one.

Times must carry a time zone (``Z`` or ``+01:00``). Names are matched without
regard to case.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from wattprint.advice.windows import ForecastPoint
from wattprint.errors import ConfigError

_ACCEPTED = (
    "the Carbon Aware SDK's JSON ([{Time, Rating, Duration}] or its forecastData) or a CSV "
    "with the columns time,intensity_g_per_kwh[,duration_min]"
)


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, str):
        raise ConfigError("forecast time", value, "an ISO 8601 time with a zone", where)
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError("forecast time", value, "an ISO 8601 time with a zone", where) from None
    if parsed.tzinfo is None:
        raise ConfigError("forecast time", value, "a time with its zone (Z or +HH:MM)", where)
    return parsed.astimezone(timezone.utc)


def _duration(value: object, where: str) -> timedelta:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(minutes=float(value))
    if isinstance(value, str):
        text = value.strip()
        parts = text.split(":")
        try:
            if len(parts) == 3:
                hours, minutes, seconds = (float(p) for p in parts)
                return timedelta(hours=hours, minutes=minutes, seconds=seconds)
            return timedelta(minutes=float(text))
        except ValueError:
            pass
    raise ConfigError("forecast duration", value, "minutes, or HH:MM:SS", where)


def _rating(value: object, where: str) -> float:
    try:
        rating = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError("forecast rating", value, "a number of gCO2e/kWh", where) from None
    return rating


def _lower(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ConfigError("forecast point", item, "an object with a time and a rating", where)
    return {str(k).lower(): v for k, v in item.items()}


def _from_json(data: Any, name: str) -> list[ForecastPoint]:
    items = data if isinstance(data, list) else [data]
    if items and isinstance(items[0], dict) and "forecastdata" in _lower(items[0], name):
        items = _lower(items[0], name)["forecastdata"]
        if not isinstance(items, list):
            raise ConfigError("forecastData", items, "a list of points", name)
    points = []
    for i, item in enumerate(items):
        where = f"{name} point {i + 1}"
        row = _lower(item, where)
        time = row.get("time", row.get("timestamp"))
        rating = row.get("rating", row.get("value"))
        if time is None or rating is None or "duration" not in row:
            raise ConfigError("forecast point", item, "Time, Rating and Duration", where)
        points.append(
            ForecastPoint(_time(time, where), _duration(row["duration"], where),
                          _rating(rating, where))  # fmt: skip
        )
    return points


def _from_csv(text: str, name: str) -> list[ForecastPoint]:
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "time" not in fields or "intensity_g_per_kwh" not in fields:
        raise ConfigError("forecast", name, _ACCEPTED)
    rows = []
    for line, raw in enumerate(reader, start=2):
        row = {str(k).strip().lower(): v for k, v in raw.items()}
        where = f"{name}:{line}"
        duration = _duration(row["duration_min"], where) if row.get("duration_min") else None
        rows.append((_time(row["time"], where), _rating(row["intensity_g_per_kwh"], where),
                     duration))  # fmt: skip
    points = []
    for i, (time, rating, duration) in enumerate(rows):
        if duration is None:
            if i + 1 < len(rows):
                duration = rows[i + 1][0] - time
            elif i > 0:
                duration = time - rows[i - 1][0]
            else:
                raise ConfigError("forecast", name, "a duration_min column, or two points or more")
        points.append(ForecastPoint(time, duration, rating))
    return points


def parse_forecast(text: str, name: str) -> list[ForecastPoint]:
    """Read a forecast from ``text`` (JSON or CSV); ``name`` is used in errors.

    Raises:
        ConfigError: the text is in neither shape, or a point is malformed; the
            message names the file, the point or line, and what is accepted.
    """
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except ValueError as err:
            raise ConfigError("forecast", name, f"valid JSON ({err})") from None
        return _from_json(data, name)
    if not stripped:
        raise ConfigError("forecast", name, _ACCEPTED)
    return _from_csv(text, name)

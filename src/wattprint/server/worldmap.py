"""The regions page's world map: countries as SVG paths, filled by grid intensity.

The geometry ships in ``data/world_countries.json`` (Natural Earth 1:110m,
public domain, projected with Equal Earth by ``scripts/build_world_map.py``;
``data/NOTICE.md`` credits it). Each country is one ``<path>`` filled from a
colour-blind-safe sequential scale (viridis, light for clean grids, dark for
dirty ones), with a ``<title>`` saying its figure; countries with no figure
are grey. The same numbers are in the page's table. No script, no font.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from html import escape
from pathlib import Path

from wattprint.errors import DataError

MAP_FILE = Path(__file__).parent / "data" / "world_countries.json"

BINS: tuple[float, ...] = (50, 100, 200, 300, 400, 500, 650)
"""Upper edges of the colour classes (the last class is everything above). Units: g/kWh."""

COLOURS = ("#fde725", "#a0da39", "#4ac16d", "#1fa187", "#277f8e", "#365c8d", "#46327e",
           "#440154")  # fmt: skip
"""Viridis in eight steps, one per class of :data:`BINS` (clean to dirty)."""

NO_FIGURE = "#d9d9d9"
"""The fill of a country with no intensity figure."""


@dataclass(frozen=True, slots=True)
class Country:
    """One country of the map: its ISO alpha-3 code ("" if none), name and SVG path."""

    iso3: str
    name: str
    d: str


@dataclass(frozen=True, slots=True)
class WorldMap:
    """The map's canvas (SVG units) and its countries."""

    width: float
    height: float
    source: str
    countries: tuple[Country, ...]


@functools.cache
def world_map(path: Path = MAP_FILE) -> WorldMap:
    """Return the shipped map, read once.

    Raises:
        DataError: the file is missing or damaged.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return WorldMap(
            width=float(data["width"]),
            height=float(data["height"]),
            source=str(data["source"]),
            countries=tuple(Country(str(c["iso3"]), str(c["name"]), str(c["d"]))
                            for c in data["countries"]),  # fmt: skip
        )
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DataError(f"{path}: the world map is missing or damaged ({err})") from err


def colour_of(intensity_g_per_kwh: float | None) -> str:
    """Return the fill of an intensity: its class's colour, or grey when unknown."""
    if intensity_g_per_kwh is None or intensity_g_per_kwh <= 0:
        return NO_FIGURE
    for edge, colour in zip(BINS, COLOURS, strict=False):
        if intensity_g_per_kwh < edge:
            return colour
    return COLOURS[-1]


def legend() -> list[tuple[str, str]]:
    """Return each colour and the class it stands for: ``< 50``, ..., ``650+`` (g/kWh), grey."""
    edges = [0.0, *BINS]
    labels = [f"{low:g}–{high:g}" for low, high in zip(edges, edges[1:], strict=False)]
    labels[0] = f"< {BINS[0]:g}"
    labels.append(f"{BINS[-1]:g}+")
    return [*zip(COLOURS, labels, strict=True), (NO_FIGURE, "no figure")]


def choropleth(
    intensities: Mapping[str, float],
    titles: Mapping[str, str],
    *,
    title: str,
    outlined: Collection[str] = (),
    world: WorldMap | None = None,
) -> str:
    """Return the world map as inline SVG, each country filled by its intensity.

    Args:
        intensities: g/kWh by ISO alpha-3 code; a country not in it is grey.
        titles: the tooltip of each country, by code (its name alone when absent).
        title: the map's title (also its accessible name).
        outlined: codes drawn with a heavy outline (where the runs ran).
        world: the map to draw (default: the shipped one).
    """
    world = world or world_map()
    width, height = world.width, world.height
    label = escape(title, quote=True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:g} {height:g}" '
        f'width="100%" role="img" aria-label="{label}" class="chart map" '
        f'font-family="sans-serif" font-size="13"><title>{escape(title)}</title>'
        f'<g stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round">'
    ]
    later: list[str] = []
    for c in world.countries:
        value = intensities.get(c.iso3) if c.iso3 else None
        tip = escape(titles.get(c.iso3, c.name) if c.iso3 else f"{c.name}: no figure")
        known = f' data-intensity="{value:g}"' if value is not None else ""
        path = (f'<path d="{c.d}" fill="{colour_of(value)}" data-iso3="{escape(c.iso3)}"{known}>'
                f"<title>{tip}</title></path>")  # fmt: skip
        if c.iso3 and c.iso3 in outlined:
            later.append(path.replace("<path ", '<path class="ran" stroke="#000000" '
                                              'stroke-width="1.6" ', 1))  # fmt: skip
        else:
            parts.append(path)
    parts.append("</g>")
    parts.extend(later)  # on top, so their outline is not covered by a neighbour
    parts.append("</svg>")
    return "".join(parts)

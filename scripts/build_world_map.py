"""Build ``world_countries.json`` in ``src/wattprint/server/data/``: the regions page's map.

Input: ``countries-110m.json`` of the npm package ``world-atlas`` 2.0.2 (ISC,
Mike Bostock), which is Natural Earth's Admin 0 countries at 1:110m
(version 4.1.0, public domain) as quantized TopoJSON, ids being ISO 3166-1
numeric codes; and an ISO 3166-1 table mapping numeric codes to alpha-3
(``iso3166-1.json`` of Debian's iso-codes, shipped inside the ``pycountry``
wheel; only the code pairs are used, and they are not shipped).

The build decodes the TopoJSON arcs, drops Antarctica (no grid), projects
every ring with the Equal Earth projection (Šavrič, Patterson and Jenny,
2018) onto a 1000-unit-wide canvas, and writes each country as one SVG path
of relative moves rounded to 0.1 unit, with its alpha-3 code and Natural
Earth's name. The file is small (about 100 KB) and the server only reads it.

Get the inputs with the ordinary clients, then run from the repository root::

    npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip download --no-deps pycountry==26.2.16 && unzip pycountry-26.2.16-py3-none-any.whl
    python scripts/build_world_map.py package/countries-110m.json \\
        pycountry/databases/iso3166-1.json
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT = REPO_ROOT / "src" / "wattprint" / "server" / "data" / "world_countries.json"
WIDTH = 1000.0  # the canvas' width. Units: SVG user units.
DROPPED = {"010"}  # Antarctica: no electricity grid, and a third of the map's height.
# Natural Earth features without an ISO 3166-1 numeric code: Kosovo takes the code
# the grid tables use (XKX, as the World Bank and Ember do); the other two are shown
# without a figure, under their own names.
NO_NUMERIC = {"Kosovo": "XKX", "N. Cyprus": "", "Somaliland": ""}

_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Return the Equal Earth projection of a point, on the unit sphere (y up).

    Example: ``equal_earth(180, 0)`` is about ``(2.7066, 0.0)``.
    """
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = 2 * math.sqrt(3) * lam * math.cos(theta) / (
        3 * (9 * _A4 * t6 * t2 + 7 * _A3 * t6 + 3 * _A2 * t2 + _A1)
    )
    y = theta * (_A4 * t6 * t2 + _A3 * t6 + _A2 * t2 + _A1)
    return x, y


def decode_arcs(topology: dict[str, object]) -> list[list[tuple[float, float]]]:
    """Return every arc of a quantized TopoJSON topology in degrees (longitude, latitude)."""
    transform = topology["transform"]
    assert isinstance(transform, dict)
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    arcs = []
    raw = topology["arcs"]
    assert isinstance(raw, list)
    for arc in raw:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


Points = list[tuple[float, float]]


def ring(arcs: list[Points], indexes: Sequence[int]) -> Points:
    """Return the points of a ring made of arcs (a negative index is arc ``~i`` reversed)."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def _unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the ring with longitudes shifted by whole turns so no step exceeds 180 degrees."""
    out = [points[0]]
    for lon, lat in points[1:]:
        before = out[-1][0]
        while lon - before > 180:
            lon -= 360
        while before - lon > 180:
            lon += 360
        out.append((lon, lat))
    return out


def _clip(points: Points, x: float, keep_below: bool) -> Points:
    """Return a ring clipped to the side of the meridian ``x`` asked for (Sutherland-Hodgman)."""

    def inside(p: tuple[float, float]) -> bool:
        return p[0] <= x if keep_below else p[0] >= x

    out: list[tuple[float, float]] = []
    for n, current in enumerate(points):
        previous = points[n - 1]
        if inside(current) != inside(previous):
            t = (x - previous[0]) / (current[0] - previous[0])
            out.append((x, previous[1] + t * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
    return out


def split_at_antimeridian(points: list[tuple[float, float]]) -> list[list[tuple[float, float]]]:
    """Return a ring as one or more rings within -180..180 degrees of longitude.

    A ring that crosses the antimeridian (Fiji, Chukotka) is made continuous,
    cut at the meridians +-180 and each piece moved back by whole turns, so no
    edge runs across the whole map.
    """
    ring_ = _unwrap(points)
    low = math.floor((min(p[0] for p in ring_) + 180) / 360)
    high = math.floor((max(p[0] for p in ring_) + 180) / 360 - 1e-12)
    if low == high == 0:
        return [points]
    pieces = []
    for turn in range(low, high + 1):
        west, east = -180 + 360 * turn, 180 + 360 * turn
        piece = _clip(_clip(ring_, east, keep_below=True), west, keep_below=False)
        if len(piece) >= 3:
            pieces.append([(lon - 360 * turn, lat) for lon, lat in piece])
    return pieces


def path_of(rings: list[list[tuple[float, float]]], scale: float, x0: float, y0: float) -> str:
    """Return one SVG path of ``rings`` (projected), relative moves to 0.1 unit."""
    parts = []
    for points in rings:
        cells = []
        for lon, lat in points:
            x, y = equal_earth(lon, lat)
            cells.append((round((x - x0) * scale * 10), round((y0 - y) * scale * 10)))
        kept = [c for n, c in enumerate(cells) if n == 0 or c != cells[n - 1]]
        if len(kept) < 3:
            continue
        text = [f"M{_num(kept[0][0])} {_num(kept[0][1])}"]
        for (ax, ay), (bx, by) in zip(kept, kept[1:], strict=False):
            text.append(f"{_num(bx - ax)} {_num(by - ay)}")
        parts.append(text[0] + "l" + " ".join(text[1:]) + "z")
    return "".join(parts).replace(" -", "-")


def _num(tenths: int) -> str:
    """Return a length in tenths of a unit as SVG text: ``15`` -> ``1.5``, ``-3`` -> ``-.3``."""
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    if frac == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole if whole else ''}.{frac}"


def build(topojson: Path, iso_table: Path) -> dict[str, object]:
    """Return the map: its canvas size, its credits, and one path per country."""
    topology = json.loads(topojson.read_text(encoding="utf-8"))
    iso = json.loads(iso_table.read_text(encoding="utf-8"))["3166-1"]
    alpha3 = {row["numeric"]: row["alpha_3"] for row in iso}
    arcs = decode_arcs(topology)
    countries = [g for g in topology["objects"]["countries"]["geometries"]
                 if g.get("id") not in DROPPED]  # fmt: skip
    shapes = []
    for g in countries:
        polygons = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]]
        rings = [ring(arcs, r) for polygon in polygons for r in polygon]
        shapes.append((g, [piece for r in rings for piece in split_at_antimeridian(r)]))
    projected = [equal_earth(lon, lat) for _, rings in shapes for r in rings for lon, lat in r]
    xs, ys = [p[0] for p in projected], [p[1] for p in projected]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = WIDTH / (x1 - x0)
    out = []
    for g, rings in sorted(shapes, key=lambda s: s[0]["properties"]["name"]):
        name = g["properties"]["name"]
        code = alpha3.get(g["id"], "") if "id" in g else NO_NUMERIC[name]
        if "id" in g and not code:
            raise SystemExit(f"no alpha-3 code for {name} (numeric {g['id']})")
        out.append({"iso3": code, "name": name, "d": path_of(rings, scale, x0, y1)})
    return {
        "width": WIDTH,
        "height": round((y1 - y0) * scale, 1),
        "projection": "Equal Earth (Šavrič, Patterson and Jenny, 2018)",
        "source": "Natural Earth 1:110m Admin 0 countries, version 4.1.0 (public domain), "
        "via world-atlas 2.0.2 (ISC, Mike Bostock)",
        "countries": out,
    }


def main() -> None:
    """Parse the arguments, build the map and write it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", type=Path, help="world-atlas 2.0.2 countries-110m.json")
    parser.add_argument("iso_table", type=Path, help="iso-codes' iso3166-1.json")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    data = build(args.topojson, args.iso_table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    args.output.write_text(text + "\n", encoding="utf-8")
    countries = data["countries"]
    assert isinstance(countries, list)
    print(f"{args.output}: {len(countries)} countries, {len(text.encode()) / 1000:.0f} kB")


if __name__ == "__main__":
    main()

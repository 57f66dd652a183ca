"""Does this coordinate's declared datum look wrong?

Mixing up WGS84, GCJ-02 and BD-09 moves a point 300-600 m: enough to land in
the river, outside the street, or in the wrong microgrid. The declared datum
is suspicious when the point, read in it, lands outside every area (or in a
gap such as water) while read in another datum it lands on a building inside
coverage. Then :func:`check_datum` returns a warning naming the likely datum.
It never changes the point: the caller decides.

Example (with a plan's locator and its building footprints)::

    check_datum(121.5102, 31.2352, "wgs84", locator, buildings)
    # {'declared': 'wgs84', 'likely': 'gcj02', 'message': '...'}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..datum import Datum, parse_datum, to_storage, to_storage_xy

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["BuildingIndex", "check_datum", "check_batch_datum", "inside_share"]

_ALTERNATIVES = (Datum.WGS84, Datum.GCJ02, Datum.BD09)
#: ~5 m in degrees at Shanghai's latitude: "on a building" tolerance
_ON_BUILDING_DEG = 5e-5


class BuildingIndex:
    """Building footprints (polygons only) in an STRtree."""

    def __init__(self, buildings: gpd.GeoDataFrame):
        polys = buildings[buildings.geom_type.isin(["Polygon", "MultiPolygon"])]
        self.names = polys["name"].tolist() if "name" in polys else [None] * len(polys)
        self.ids = polys["id"].tolist() if "id" in polys else list(range(len(polys)))
        self.tree = shapely.STRtree(polys.geometry.values)

    def hit(self, lon: float, lat: float) -> int | None:
        pt = shapely.Point(lon, lat)
        idx = self.tree.query(pt, predicate="dwithin", distance=_ON_BUILDING_DEG)
        return int(idx[0]) if len(idx) else None


def check_datum(lon: float, lat: float, declared: str | Datum, locator, buildings: BuildingIndex | None
                ) -> dict | None:
    """A warning dict when another datum fits the point much better, else ``None``."""
    declared = parse_datum(declared)
    base = Datum.WGS84 if declared is Datum.CGCS2000 else declared
    if locator.index.find(*to_storage_xy(lon, lat, declared)) >= 0:
        return None
    for alt in _ALTERNATIVES:
        if alt is base:
            continue
        x, y = to_storage_xy(lon, lat, alt)
        pos = locator.index.find(x, y)
        if pos < 0:
            continue
        hit = buildings.hit(x, y) if buildings is not None else None
        if buildings is not None and hit is None:
            continue
        leaf = locator.leaf_info(pos)
        building = None if hit is None else buildings.names[hit] or buildings.ids[hit]
        on_zh = f"建筑 {building} 上, " if building is not None else ""
        on = f" on building {building}" if building is not None else ""
        return {
            "declared": declared.value, "likely": alt.value,
            "message": (f"按 {declared.value} 读取该点不在任何区域内; 按 {alt.value} 读取则落在"
                        f"{on_zh}{leaf['name']} ({leaf['code']}) 内。请核对坐标系。 "
                        f"read as {declared.value} the point is outside every area; read as "
                        f"{alt.value} it lands{on} in {leaf['name']} ({leaf['code']}). "
                        f"Check the coordinate's datum."),
            "likely_point": [round(x, 7), round(y, 7)],
        }
    return None


def inside_share(lon, lat, datum: str | Datum, index, buildings: BuildingIndex | None = None
                 ) -> float:
    """Share of the points that land in an area (and on a building, when
    ``buildings`` is given) when their coordinates are read in ``datum``."""
    x, y = to_storage(np.asarray(lon, float), np.asarray(lat, float), parse_datum(datum))
    inside = index.locate(x, y) >= 0
    if buildings is not None and inside.any():
        pts = shapely.points(x[inside], y[inside])
        hit = np.zeros(inside.sum(), dtype=bool)
        qi, _ = buildings.tree.query(pts, predicate="dwithin", distance=_ON_BUILDING_DEG)
        hit[qi] = True
        inside[inside] = hit
    finite = np.isfinite(x) & np.isfinite(y)
    return float(inside.sum() / max(1, finite.sum()))


def check_batch_datum(lon, lat, declared: str | Datum, index,
                      buildings: BuildingIndex | None = None, *, sample: int = 20_000,
                      margin: float = 0.2) -> dict | None:
    """A warning dict when a batch fits another datum far better, else ``None``.

    "Fits" is the share of points inside an area (on a building, when
    ``buildings`` is given: an area tiling a whole street cannot tell a
    500 m shift, footprints can). Another datum fits far better when its
    share beats the declared datum's by ``margin`` and by half again. Only
    the first ``sample`` points with coordinates are read, so the check costs
    milliseconds whatever the batch size. When more than two thirds of them (or more
    than ``1 - margin``) fit the declared datum, no other can fit far better, and the
    other datums (an iterative inverse conversion each) are not tried.
    """
    declared = parse_datum(declared)
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    ok = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))[:sample]
    if not ok.size:
        return None
    lon, lat = lon[ok], lat[ok]
    base = Datum.WGS84 if declared is Datum.CGCS2000 else declared
    own = inside_share(lon, lat, base, index, buildings)
    if own + margin > 1 or 1.5 * own > 1:
        return None             # no share can beat it by that much: the others are not read
    shares = {d.value: own if d is base else inside_share(lon, lat, d, index, buildings)
              for d in _ALTERNATIVES}
    best = max((d for d in _ALTERNATIVES if d is not base), key=lambda d: shares[d.value])
    alt = shares[best.value]
    if alt < own + margin or alt < 1.5 * own:
        return None
    what = "落在建筑上 / on a building" if buildings is not None else "在区域内 / inside an area"
    return {
        "declared": declared.value, "likely": best.value, "shares": shares, "sample": int(ok.size),
        "message": (f"按声明的坐标系 {declared.value} 读取，{own:.0%} 的点{what.split(' / ')[0]}；"
                    f"按 {best.value} 读取则为 {alt:.0%}。请核对坐标系。 / Read as {declared.value}, "
                    f"{own:.0%} of the points are {what.split(' / ')[1]}; read as {best.value}, "
                    f"{alt:.0%} are. Check the datum of the file."),
    }

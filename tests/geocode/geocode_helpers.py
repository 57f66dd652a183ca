"""Helpers for the geocoding tests: a synthetic street laid out in metres.

The synthetic world (metres east/north of an origin in Shanghai)::

    y=600  陆家嘴环路 ─────────────────────────  (1000号 at x=500, y=620; 正大广场 at x=300, y=640)
    y=300                     │南北路      断头路│ (x=800, from y=15 up: does not touch 测试路)
           崂山五村 [100..300]²│
    y=+20  odd 1 5 9 13 21 31 │  45-49 building   61 测试大厦
    y=0    测试路 ─────────────┼──────────────── (two unnoded pieces, split at x=400)
    y=-20  even 2 6 10 14 30  │
    y=-300 只有双号路 ─────────┼──  (even numbers only, on its south side y=-320)

House numbers stand at x = 10·n. Everything is converted to EPSG:4490 through
a transverse Mercator centred on the origin, so expected positions are exact
to centimetres.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Point, box

LON0, LAT0 = 121.60, 31.30
_LOCAL = CRS.from_proj4(f"+proj=tmerc +lat_0={LAT0} +lon_0={LON0} +k=1 +x_0=0 +y_0=0 "
                        "+ellps=GRS80 +units=m +no_defs")
_TO_LL = Transformer.from_crs(_LOCAL, "EPSG:4490", always_xy=True)
_TO_XY = Transformer.from_crs("EPSG:4490", _LOCAL, always_xy=True)


def ll(x: float, y: float) -> tuple[float, float]:
    """Local metres → (lon, lat)."""
    lon, lat = _TO_LL.transform(x, y)
    return float(lon), float(lat)


def xy(lon: float, lat: float) -> tuple[float, float]:
    """(lon, lat) → local metres."""
    x, y = _TO_XY.transform(lon, lat)
    return float(x), float(y)


def _frame(rows: list[dict], geoms) -> gpd.GeoDataFrame:
    local = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=_LOCAL)
    return local.to_crs("EPSG:4490")


def synthetic_frames() -> dict[str, gpd.GeoDataFrame]:
    roads = _frame(
        [{"name": "测试路"}, {"name": "测试路"}, {"name": "南北路"}, {"name": "断头路"},
         {"name": "陆家嘴环路"}, {"name": "只有双号路"}],
        [LineString([(-50, 0), (400, 0)]), LineString([(400, 0), (1050, 0)]),
         LineString([(500, -400), (500, 400)]), LineString([(800, 15), (800, 300)]),
         LineString([(0, 600), (1000, 600)]), LineString([(0, -300), (1000, -300)])],
    )
    rows, geoms = [], []
    for n in (1, 5, 9, 13, 21, 31):
        rows.append({"addr_street": "测试路", "addr_housenumber": str(n), "name": None})
        geoms.append(Point(10 * n, 20))
    for n in (2, 6, 10, 14, 30):
        rows.append({"addr_street": "测试路", "addr_housenumber": f"{n}号", "name": None})
        geoms.append(Point(10 * n, -20))
    for n, x in ((2, 20), (10, 100), (20, 200)):
        rows.append({"addr_street": "只有双号路", "addr_housenumber": str(n), "name": None})
        geoms.append(Point(x, -320))
    for k in (1, 2, 3):
        rows.append({"addr_street": "测试路100弄", "addr_housenumber": str(k), "name": None})
        geoms.append(Point(1000, 20 + 10 * k))
    rows.append({"addr_street": "陆家嘴环路", "addr_housenumber": "1000", "name": None})
    geoms.append(Point(500, 620))
    rows.append({"addr_street": "测试路", "addr_housenumber": "3F", "name": None})
    geoms.append(Point(30, 20))
    address_points = _frame(rows, geoms)

    buildings = _frame(
        [{"name": None, "addr_street": "测试路", "addr_housenumber": "45-49"},
         {"name": "测试大厦", "addr_street": "测试路", "addr_housenumber": "61"}],
        [box(460, 10, 480, 30), box(600, 25, 620, 45)],
    )
    compounds = _frame([{"name": "崂山五村"}], [box(100, 100, 300, 300)])
    pois = _frame([{"name": "正大广场"}, {"name": "正大广场"}, {"name": "东方明珠电视塔"}],
                  [Point(300, 40), Point(300, 640), Point(900, 500)])
    areas = _frame([{"name": "测试街道"}, {"name": "别的街道"}],
                   [box(-100, -500, 1100, 700), box(2000, 0, 3000, 1000)])
    return {"address_points": address_points, "buildings": buildings, "compounds": compounds,
            "pois": pois, "roads": roads, "areas": areas}


def dist_m(result, x: float, y: float) -> float:
    """Distance in metres from a geocode result to local point (x, y)."""
    rx, ry = xy(result.lon, result.lat)
    return float(np.hypot(rx - x, ry - y))

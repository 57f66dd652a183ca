"""The basemap's layers, normalised from OpenStreetMap data in either of two shapes.

* **Tilezen-style layers** (one file per layer with ``kind`` / ``kind_detail``
  columns), the shape of the OSM extract the project ships under
  ``data/osm/``;
* **raw OSM tags** as GDAL's OSM driver reads an ``.osm`` / ``.osm.pbf``
  extract (``highway``, ``waterway``, ``natural``, ``landuse``, ``leisure``,
  ``building``, ``place`` columns).

Both come out as the same six frames (EPSG:4326 lon/lat, WGS84 = CGCS2000 at
city scale): ``roads`` (``cls``, ``name``, ``tunnel``), ``water`` (polygons),
``waterways`` (lines), ``landuse`` (``cls``, ``name``), ``buildings`` and
``labels`` (points with ``name``, ``kind``, ``rank``). Only Chinese (or
other non-Latin-only) names become labels in the Chinese map, so a pinyin
neighbourhood name such as "Lu Jia Du" is not drawn over the street.

>>> import geopandas as gpd, shapely
>>> roads = gpd.GeoDataFrame({"kind": ["major_road"], "kind_detail": ["primary"],
...     "name": ["东方路"]}, geometry=[shapely.LineString([(121.5, 31.2), (121.51, 31.2)])],
...     crs=4326)
>>> normalise_tilezen({"roads": roads})["roads"][["cls", "name"]].values.tolist()
[['primary', '东方路']]
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from .._errors import CRSError
from ..road_kinds import MAP_CLASSES, TILEZEN_MAP_CLASSES

__all__ = ["LAYERS", "ROAD_CLASSES", "LANDUSE_CLASSES", "normalise_tilezen", "normalise_osm",
           "empty_layers", "has_cjk"]

LAYERS = ("roads", "water", "waterways", "landuse", "buildings", "labels")
#: road classes, most important first, and the zoom they appear from; which OSM value
#: is drawn in which class is :data:`geogrid.road_kinds.KINDS`' ``map_class``
ROAD_CLASSES = {"motorway": 10, "primary": 10, "secondary": 11, "tertiary": 12, "minor": 13,
                "service": 14, "path": 15, "rail": 13}
LANDUSE_CLASSES = ("green", "residential", "commercial", "education", "health", "plaza")
_LANDUSE_MAP = {"park": "green", "grass": "green", "forest": "green", "garden": "green",
                "natural_wood": "green", "wood": "green", "recreation_ground": "green",
                "protected_area": "green", "pitch": "green", "meadow": "green",
                "village_green": "green", "nature_reserve": "green", "cemetery": "green",
                "residential": "residential", "commercial": "commercial", "retail": "commercial",
                "office": "commercial", "school": "education", "university": "education",
                "college": "education", "kindergarten": "education", "hospital": "health",
                "clinic": "health", "pedestrian": "plaza", "square": "plaza"}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def has_cjk(text) -> bool:
    return isinstance(text, str) and bool(_CJK.search(text))


def _frame(geoms, crs, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(dict(cols), geometry=list(geoms), crs=crs)


def empty_layers(crs=4326) -> dict[str, gpd.GeoDataFrame]:
    return {"roads": _frame([], crs, cls=[], name=[], tunnel=[]), "water": _frame([], crs),
            "waterways": _frame([], crs, name=[]), "landuse": _frame([], crs, cls=[], name=[]),
            "buildings": _frame([], crs), "labels": _frame([], crs, name=[], kind=[], rank=[])}


def _lonlat(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise CRSError(f"底图图层 {name!r} 没有坐标系。basemap layer {name!r} has no CRS.",
                       field=name, value=None, fix="请为该图层设置坐标系 (OSM 数据为 EPSG:4326)。"
                       "Give the file a CRS (OSM data is EPSG:4326).")
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    return frame if frame.crs.to_epsg() == 4326 else frame.to_crs(4326)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series([None] * len(frame), index=frame.index)


def _polys(frame: gpd.GeoDataFrame) -> np.ndarray:
    return frame.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()


def _lines(frame: gpd.GeoDataFrame) -> np.ndarray:
    return frame.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()


def _area_labels(frame: gpd.GeoDataFrame, kind: pd.Series) -> gpd.GeoDataFrame:
    """A label at the representative point of each named polygon, ranked by area."""
    named = frame[_polys(frame) & _col(frame, "name").map(has_cjk).to_numpy()]
    if named.empty:
        return empty_layers(frame.crs)["labels"]
    area = named.to_crs(3857).area.to_numpy()
    return _frame(named.geometry.representative_point(), frame.crs, name=named["name"].values,
                  kind=kind.loc[named.index].fillna("area").values, rank=-area)


def normalise_tilezen(files: dict[str, gpd.GeoDataFrame]) -> dict[str, gpd.GeoDataFrame]:
    """Layers from Tilezen-style frames keyed ``roads``, ``water``, ``landuse``,
    ``buildings``, ``places``, ``transit`` (any may be missing)."""
    out = empty_layers()
    labels = [out["labels"]]
    if "roads" in files:
        r = _lonlat(files["roads"], "roads")
        r = r[_lines(r)]
        cls = _col(r, "kind_detail").map(MAP_CLASSES)
        cls = cls.fillna(_col(r, "kind").map(TILEZEN_MAP_CLASSES))
        r = r[cls.notna()]
        out["roads"] = _frame(r.geometry, 4326, cls=cls[cls.notna()].values,
                              name=_col(r, "name").values,
                              tunnel=(_col(r, "is_tunnel").fillna(0).astype(float) > 0).values)
    if "water" in files:
        w = _lonlat(files["water"], "water")
        kind = _col(w, "kind")
        out["water"] = _frame(w.geometry[_polys(w) & (kind != "swimming_pool").to_numpy()], 4326)
        lines = w[_lines(w) & kind.isin(["river", "canal", "stream", "ditch"]).to_numpy()]
        out["waterways"] = _frame(lines.geometry, 4326, name=_col(lines, "name").values)
        pts = w[(w.geom_type == "Point").to_numpy() & _col(w, "name").map(has_cjk).to_numpy()]
        labels.append(_frame(pts.geometry, 4326, name=pts["name"].values, kind="water",
                             rank=-1e9))
    if "landuse" in files:
        lu = _lonlat(files["landuse"], "landuse")
        cls = _col(lu, "kind").map(_LANDUSE_MAP)
        keep = _polys(lu) & cls.notna().to_numpy()
        out["landuse"] = _frame(lu.geometry[keep], 4326, cls=cls[keep].values,
                                name=_col(lu, "name")[keep].values)
        labels.append(_area_labels(lu[keep], cls))
    if "buildings" in files:
        b = _lonlat(files["buildings"], "buildings")
        out["buildings"] = _frame(b.geometry[_polys(b) & (_col(b, "kind") != "building_part")
                                             .to_numpy()], 4326)
    for key, kind in (("places", "place"), ("transit", "station")):
        if key in files:
            p = _lonlat(files[key], key)
            p = p[(p.geom_type == "Point").to_numpy() & _col(p, "name").map(has_cjk).to_numpy()]
            if key == "transit":
                p = p[_col(p, "kind") == "station"]
            labels.append(_frame(p.geometry, 4326, name=p["name"].values, kind=kind, rank=-1e8))
    out["labels"] = pd.concat(labels, ignore_index=True)
    return out


def normalise_osm(lines: gpd.GeoDataFrame | None = None,
                  polygons: gpd.GeoDataFrame | None = None,
                  points: gpd.GeoDataFrame | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Layers from raw OSM tags (the ``lines``, ``multipolygons`` and ``points`` layers
    of GDAL's OSM driver)."""
    out = empty_layers()
    labels = [out["labels"]]
    if lines is not None and len(lines):
        ln = _lonlat(lines, "lines")
        tag = _col(ln, "highway").fillna(_col(ln, "railway"))
        cls = tag.map(MAP_CLASSES)
        r = ln[cls.notna()]
        tunnel = _col(r, "other_tags").fillna("").str.contains('"tunnel"=>"yes"', regex=False)
        out["roads"] = _frame(r.geometry, 4326, cls=cls[cls.notna()].values,
                              name=_col(r, "name").values, tunnel=tunnel.values)
        ww = ln[_col(ln, "waterway").isin(["river", "canal", "stream"]).to_numpy()]
        out["waterways"] = _frame(ww.geometry, 4326, name=_col(ww, "name").values)
    if polygons is not None and len(polygons):
        pg = _lonlat(polygons, "multipolygons")
        is_water = (_col(pg, "natural") == "water") | _col(pg, "waterway").isin(["riverbank"])
        out["water"] = _frame(pg.geometry[is_water.to_numpy()], 4326)
        out["buildings"] = _frame(pg.geometry[_col(pg, "building").notna().to_numpy()], 4326)
        kind = (_col(pg, "leisure").map(_LANDUSE_MAP).fillna(_col(pg, "landuse").map(_LANDUSE_MAP))
                .fillna(_col(pg, "amenity").map(_LANDUSE_MAP))
                .fillna(_col(pg, "natural").map(_LANDUSE_MAP)))
        keep = kind.notna().to_numpy() & ~is_water.to_numpy()
        out["landuse"] = _frame(pg.geometry[keep], 4326, cls=kind[keep].values,
                                name=_col(pg, "name")[keep].values)
        labels.append(_area_labels(pg[keep], kind))
    if points is not None and len(points):
        pt = _lonlat(points, "points")
        other = _col(pt, "other_tags").fillna("")
        is_place = _col(pt, "place").notna() | other.str.contains('"place"=>', regex=False)
        p = pt[is_place.to_numpy() & _col(pt, "name").map(has_cjk).to_numpy()]
        labels.append(_frame(p.geometry, 4326, name=p["name"].values, kind="place", rank=-1e8))
    out["labels"] = pd.concat(labels, ignore_index=True)
    return out

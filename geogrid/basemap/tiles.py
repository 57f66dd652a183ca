"""Vector tiles (MVT) of the basemap: GeoDataFrames in, tiles out.

:class:`BasemapTiles` takes the normalised layers (:mod:`.layers`), projects
them once to *world pixels at zoom 0* (Web Mercator, 256 units across the
world) and indexes each layer with an STRtree. A tile ``z/x/y`` then needs
only an index query, an affine map to tile units (``EXTENT`` per side, y
down), a clip ``BUFFER`` units outside the tile, a simplification below
a quarter of a pixel and a snap to the integer grid.

Layers of a tile, drawn in this order: ``landuse`` (``cls``), ``water``,
``waterways``, ``buildings`` (from z15), ``roads`` (``cls``, from each class's
zoom in :data:`~.layers.ROAD_CLASSES`), ``road_labels`` (``name``: the
stretch a road name is drawn along) and ``labels`` (``name``, ``kind``).
Labels are placed per zoom over the whole extract (:mod:`.labels`) and are
not clipped, so a name crossing a tile edge is drawn whole from both sides.

Tiles are in WGS84 (= CGCS2000 at city scale), the datum of the stored areas,
so overlays drawn on this basemap are never shifted.

>>> import geopandas as gpd, shapely
>>> from geogrid.basemap.layers import normalise_tilezen
>>> roads = gpd.GeoDataFrame({"kind": ["major_road"], "kind_detail": ["primary"],
...     "name": ["东方路"]}, geometry=[shapely.LineString([(121.50, 31.23), (121.52, 31.23)])],
...     crs=4326)
>>> bt = BasemapTiles(normalise_tilezen({"roads": roads}))
>>> z, x, y = 16, *lonlat_to_tile(121.51, 31.23, 16)
>>> tile = decode(bt.tile(z, x, y))
>>> tile["roads"]["features"][0]["properties"]["cls"]
'primary'
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

import geopandas as gpd
import numpy as np
import shapely

from .._errors import InputError
from .labels import place_labels
from .layers import LAYERS, ROAD_CLASSES

__all__ = ["BasemapTiles", "EXTENT", "BUFFER", "MIN_ZOOM", "MAX_ZOOM", "BUILDINGS_MIN_ZOOM",
           "TILE_LAYERS", "lonlat_to_tile", "decode", "world_pixels"]

EXTENT = 4096
BUFFER = 64
MIN_ZOOM = 10
#: tiles are built up to this zoom; closer views scale these (Leaflet ``maxNativeZoom``)
MAX_ZOOM = 18
BUILDINGS_MIN_ZOOM = 15
LANDUSE_MIN_AREA_PX = 16.0  # polygons smaller than 4×4 pixels at the zoom are left out
TILE_LAYERS = ("landuse", "water", "waterways", "buildings", "roads", "road_labels", "labels")


def world_pixels(geoms: np.ndarray) -> np.ndarray:
    """lon/lat geometries → Web-Mercator world pixels at zoom 0 (0..256, y down)."""
    def fwd(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], np.clip(xy[:, 1], -85.05112878, 85.05112878)
        x = (lon + 180.0) / 360.0 * 256.0
        rad = np.radians(lat)
        y = (1.0 - np.log(np.tan(rad) + 1.0 / np.cos(rad)) / math.pi) / 2.0 * 256.0
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), fwd)


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    p = world_pixels(np.array([shapely.Point(lon, lat)], dtype=object))[0]
    n = 1 << z
    return int(p.x / 256 * n), int(p.y / 256 * n)


def decode(data: bytes) -> dict:
    """A tile decoded with ``mapbox-vector-tile`` (for tests and tools)."""
    import mapbox_vector_tile

    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True}) if data else {}


def _check(z: int, x: int, y: int) -> None:
    if not (0 <= z <= 30) or not (0 <= x < (1 << z)) or not (0 <= y < (1 << z)):
        raise InputError(f"瓦片 {z}/{x}/{y} 不存在。tile {z}/{x}/{y} does not exist.",
                         field="tile", value=f"{z}/{x}/{y}",
                         fix="行列号须在 0 到 2^z - 1 之间, z 在 0 到 30 之间。Use 0 ≤ x, y < 2^z "
                             "and 0 ≤ z ≤ 30.")


class BasemapTiles:
    """The basemap of one set of layers, ready to cut into tiles (thread-safe)."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]):
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._trees: dict[str, shapely.STRtree] = {}
        for name in LAYERS:
            frame = layers.get(name)
            if frame is None or frame.empty:
                continue
            frame = frame.reset_index(drop=True).copy()
            frame["geometry"] = world_pixels(frame.geometry.values)
            if name == "roads":
                frame["min_zoom"] = frame["cls"].map(ROAD_CLASSES).astype(int)
            if name in ("landuse", "water", "buildings"):
                frame["area0"] = shapely.area(frame.geometry.values)
            self._frames[name] = frame
            self._trees[name] = shapely.STRtree(frame.geometry.values)
        self._lock = threading.Lock()
        self._label_cache = lru_cache(maxsize=16)(self._labels_at)

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """lon/lat bounds of the data, or None when there is none."""
        boxes = [f.total_bounds for f in self._frames.values() if len(f)]
        if not boxes:
            return None
        b = np.array(boxes)
        w, s, e, n = b[:, 0].min(), b[:, 3].max(), b[:, 2].max(), b[:, 1].min()
        lon = lambda px: px / 256 * 360 - 180  # noqa: E731
        lat = lambda py: math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * py / 256))))  # noqa
        return lon(w), lat(s), lon(e), lat(n)

    def _labels_at(self, z: int):
        scale = float(1 << z)
        roads = self._frames.get("roads")
        labels = self._frames.get("labels")
        up = lambda f: f.assign(geometry=shapely.transform(  # noqa: E731
            f.geometry.values, lambda xy: xy * scale))
        empty = gpd.GeoDataFrame({"name": [], "kind": [], "rank": [], "cls": []}, geometry=[])
        road_px = up(roads) if roads is not None else empty
        pts = up(labels) if labels is not None else empty
        lines, points = place_labels(road_px, pts, z)
        return (lines, shapely.STRtree(lines.geometry.values),
                points, shapely.STRtree(points.geometry.values))

    def _layer(self, name: str, z: int, query, to_tile) -> list[dict]:
        frame = self._frames.get(name)
        if frame is None:
            return []
        idx = np.sort(self._trees[name].query(query, predicate="intersects"))
        if name == "roads":
            idx = idx[frame["min_zoom"].to_numpy()[idx] <= z]
        elif name in ("landuse", "water", "buildings"):
            idx = idx[frame["area0"].to_numpy()[idx] * float(4 ** z) >= LANDUSE_MIN_AREA_PX]
        if not len(idx):
            return []
        geoms = to_tile(frame.geometry.values[idx])
        geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
        geoms = shapely.set_precision(shapely.simplify(geoms, 4.0), 1.0)
        keep = ~shapely.is_empty(geoms)
        if name in ("landuse", "water", "buildings"):
            keep &= shapely.area(geoms) > 0
        props = [{"cls": str(c)} for c in frame["cls"].to_numpy()[idx]] if "cls" in frame \
            else [{} for _ in idx]
        if "tunnel" in frame:
            for p, tunnel in zip(props, frame["tunnel"].fillna(False).to_numpy(bool)[idx]):
                if tunnel:
                    p["tunnel"] = 1
        if name == "roads":
            order = np.argsort([-list(ROAD_CLASSES).index(p["cls"]) for p in props], kind="stable")
        else:
            order = np.arange(len(idx))
        return [{"geometry": geoms[i], "properties": props[i]} for i in order if keep[i]]

    def _label_layers(self, z: int, x: int, y: int, to_tile) -> tuple[list, list]:
        with self._lock:
            lines, ltree, points, ptree = self._label_cache(z)
        box = shapely.box(x * 256 - 64, y * 256 - 32, (x + 1) * 256 + 64, (y + 1) * 256 + 32)
        road = [{"geometry": to_tile(lines.geometry.values[i:i + 1], scaled=True)[0],
                 "properties": {"name": lines["name"].iloc[i]}}
                for i in np.sort(ltree.query(box, predicate="intersects"))]
        place = [{"geometry": to_tile(points.geometry.values[i:i + 1], scaled=True)[0],
                  "properties": {"name": points["name"].iloc[i],
                                 "kind": str(points["kind"].iloc[i])}}
                 for i in np.sort(ptree.query(box, predicate="intersects"))]
        return road, place

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The MVT bytes of tile ``z/x/y`` (``b""`` when it holds nothing)."""
        import mapbox_vector_tile

        _check(z, x, y)
        if z < MIN_ZOOM:
            return b""
        n = float(1 << z)
        k = EXTENT / 256.0

        def to_tile(geoms, scaled: bool = False):
            s = 1.0 if scaled else n
            return shapely.transform(geoms, lambda xy: np.column_stack(
                [(xy[:, 0] * s - x * 256) * k, (xy[:, 1] * s - y * 256) * k]))

        pad = BUFFER / EXTENT / n * 256
        query = shapely.box(x * 256 / n - pad, y * 256 / n - pad, (x + 1) * 256 / n + pad,
                            (y + 1) * 256 / n + pad)
        layers = []
        for name in TILE_LAYERS[:5]:
            if name == "buildings" and z < BUILDINGS_MIN_ZOOM:
                continue
            feats = self._layer(name, z, query, to_tile)
            if feats:
                layers.append({"name": name, "features": feats})
        road, place = self._label_layers(z, x, y, to_tile)
        for name, feats in (("road_labels", road), ("labels", place)):
            if feats:
                for f in feats:  # labels keep their shape: round, never clip
                    f["geometry"] = shapely.set_precision(f["geometry"], 1.0)
                layers.append({"name": name, "features": feats})
        if not layers:
            return b""
        return mapbox_vector_tile.encode(layers, default_options={
            "extents": EXTENT, "y_coord_down": True, "quantize_bounds": None})

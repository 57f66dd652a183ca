"""Where the names go: road names along their lines, place names at points, no overlaps.

Placement is done once per zoom level in *world pixels* (the 256-pixel
Web-Mercator pixel grid of that zoom), not per tile, so a label that crosses
a tile edge is the same label in both tiles and the halves meet.

* Roads of one name are merged (:func:`shapely.line_merge`) and a label is
  put every :data:`ROAD_SPACING_PX` along each merged part where the stretch
  the text needs (one :data:`CHAR_PX` per character) is nearly straight
  (chord / length ≥ :data:`MIN_STRAIGHTNESS`). The stretch is returned as a
  line; the browser draws one character per step along it. Lines are turned
  to read left to right (top to bottom when steep), as printed Chinese maps do.
* Place names (compounds, parks, stations, the river) are boxes centred on
  their point; larger places first.
* A label is kept only if its box (the stretch buffered by half a character)
  overlaps no label already kept. Major roads are placed before minor ones.

>>> import geopandas as gpd, shapely
>>> roads = gpd.GeoDataFrame({"cls": ["primary"], "name": ["东方路"]},
...     geometry=[shapely.LineString([(0, 0), (600, 0)])])
>>> lines, _ = place_labels(roads, gpd.GeoDataFrame({"name": [], "kind": [], "rank": []},
...     geometry=[]), zoom=16)
>>> len(lines) >= 1 and round(lines.geometry.iloc[0].length) == 3 * CHAR_PX
True
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import substring

from .layers import ROAD_CLASSES

__all__ = ["place_labels", "CHAR_PX", "ROAD_SPACING_PX", "MIN_STRAIGHTNESS", "LABEL_MIN_ZOOM"]

CHAR_PX = 13.0
ROAD_SPACING_PX = 360.0
MIN_STRAIGHTNESS = 0.85
#: zoom from which each road class is named
LABEL_MIN_ZOOM = {"motorway": 13, "primary": 13, "secondary": 14, "tertiary": 15, "minor": 16,
                  "service": 17, "path": 17, "rail": 16}
_ORDER = {c: i for i, c in enumerate(ROAD_CLASSES)}


def _readable(line: shapely.LineString) -> shapely.LineString:
    (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
    steep = abs(y1 - y0) > 2 * abs(x1 - x0)
    backwards = (y1 < y0) if steep else (x1 < x0)
    return shapely.reverse(line) if backwards else line


def _road_candidates(roads: gpd.GeoDataFrame, zoom: int):
    named = roads[roads["name"].map(lambda n: isinstance(n, str) and n.strip() != "")]
    if "tunnel" in named:  # a tunnel's name is not written over what lies above it
        named = named[~named["tunnel"].fillna(False).astype(bool)]
    named = named[named["cls"].map(lambda c: LABEL_MIN_ZOOM.get(c, 99) <= zoom)]
    groups = []
    for (name, cls), grp in named.groupby(["name", "cls"], sort=False):
        merged = shapely.line_merge(shapely.union_all(grp.geometry.values))
        groups.append((_ORDER.get(cls, 99), name, list(shapely.get_parts(merged))))
    groups.sort(key=lambda g: (g[0], -sum(p.length for p in g[2])))
    for _, name, parts in groups:
        need = CHAR_PX * len(name)
        for part in sorted(parts, key=lambda p: -p.length):
            if part.length < need + CHAR_PX:
                continue
            n = max(1, int(part.length // ROAD_SPACING_PX))
            step = part.length / n
            for i in range(n):
                mid = step * (i + 0.5)
                piece = substring(part, mid - need / 2, mid + need / 2)
                if piece.length <= 0 or piece.geom_type != "LineString":
                    continue
                chord = shapely.distance(shapely.Point(piece.coords[0]),
                                         shapely.Point(piece.coords[-1]))
                if chord / piece.length >= MIN_STRAIGHTNESS:
                    yield name, _readable(piece)


def place_labels(roads: gpd.GeoDataFrame, points: gpd.GeoDataFrame, zoom: int):
    """Road label stretches and place label points for ``zoom``, both in world pixels.

    ``roads`` (``cls``, ``name``) and ``points`` (``name``, ``kind``, ``rank``: lower
    first) must already be in world pixels of ``zoom``. Returns two GeoDataFrames:
    ``(road_labels[name], place_labels[name, kind])``, with no two boxes overlapping.
    """
    kept: list = []
    tree_boxes: list = []

    def free(box) -> bool:
        if tree_boxes and shapely.intersects(np.array(tree_boxes, dtype=object), box).any():
            return False
        tree_boxes.append(box)
        return True

    pts = points.sort_values("rank", kind="stable")
    place_rows = []
    for name, kind, geom in zip(pts["name"], pts["kind"], pts.geometry):
        half = CHAR_PX * len(name) / 2
        box = shapely.box(geom.x - half - 2, geom.y - 9, geom.x + half + 2, geom.y + 9)
        if free(box):
            place_rows.append((name, kind, geom))
    for name, piece in _road_candidates(roads, zoom):
        if free(piece.buffer(CHAR_PX / 2 + 1, cap_style="flat")):
            kept.append((name, piece))
    road_labels = gpd.GeoDataFrame({"name": [n for n, _ in kept]},
                                   geometry=[g for _, g in kept])
    places = gpd.GeoDataFrame({"name": [r[0] for r in place_rows],
                               "kind": [r[1] for r in place_rows]},
                              geometry=[r[2] for r in place_rows])
    return road_labels, places

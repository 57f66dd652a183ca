"""The nearest area of points outside every area, and its distance in metres.

Snapping (``snap_m``) and the distances that :meth:`AreaIndex.locate_detail`
reports ask, for a point in no area, which area is nearest and how far it is,
measured in a local transverse Mercator (the one
:func:`geogrid.crs.metric_crs` gives for the areas' bounds). Projecting every
polygon up front, as a tree of metric polygons needs, took seconds and
hundreds of MB at 300,000 areas before the first snapped lookup could run.
Here only the polygons near the points asked about are projected, once each:

1. An STRtree of the areas' lon/lat bounding boxes (built from four numbers
   per area; no polygon is parsed) gives each point the area whose box is
   nearest. Its distance in metres, ``d0``, bounds the answer. A few points
   asked before the tree exists (it is built by :meth:`AreaIndex.warm`, or
   for a larger batch) scan the boxes with numpy instead.
2. A transverse Mercator's scale factor is at least 1, so every area within
   ``d0`` metres lies within ``d0`` metres on the ellipsoid, hence in a
   lon/lat window of ``d0`` around the point (converted with a 10 % margin).
   The distance to each area whose box meets the window is computed in
   metres (GEOS, as before); the least wins, and among equal distances the
   lowest tie-break rank.

Threads may share one: projected polygons are added under a lock, then only read.
"""

from __future__ import annotations

import math
import threading
from typing import Callable

import numpy as np
import shapely

from ._file import distinct

__all__ = ["NearestAreas", "metric_crs_of_bounds", "metric_pipeline", "to_metric"]

#: Metres per degree of latitude, rounded down (the meridian degree is 110,574 m or more).
_M_PER_DEG_LAT = 110_000.0
#: Metres per degree of longitude at the equator, rounded down (GRS80: 111,319.5 m).
_M_PER_DEG_LON = 111_000.0
#: Margin on the window, for the projection's scale and the rounding above.
_MARGIN = 1.1
#: Up to this many points, before the tree exists, the boxes are scanned instead
#: (a few ms at 300,000 areas, where building the tree takes a second).
_FEW = 8
#: The boxes are scanned in blocks this long: the temporaries of a block stay in the
#: cache and are reused, instead of a dozen new arrays of every box (page faults and
#: all, 50 ms at 300,000 areas in a fresh process; a few ms in blocks).
_SCAN_BLOCK = 1 << 14


def _centre(bounds: np.ndarray) -> tuple[float, float]:
    minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
    maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
    return round((minx + maxx) / 2, 2), round((miny + maxy) / 2, 2)


def metric_crs_of_bounds(bounds: np.ndarray):
    """The local transverse Mercator of :func:`geogrid.crs.metric_crs` for areas with
    per-area ``bounds`` (n x 4), without geopandas."""
    from pyproj import CRS

    lon0, lat0 = _centre(bounds)
    return CRS.from_proj4(f"+proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 "
                          "+ellps=GRS80 +units=m +no_defs")


def metric_pipeline(bounds: np.ndarray) -> str:
    """The PROJ pipeline from lon/lat degrees (EPSG:4490, EPSG:4326) to the transverse
    Mercator of :func:`metric_crs_of_bounds`: the very operation pyproj's
    ``Transformer.from_crs`` resolves for them (GRS80 and the CGCS2000 ellipsoid are
    one; no datum shift between the storage datums), written out, so that making
    the transformer takes a tenth of a millisecond instead of the 30 ms of
    looking the operation up in PROJ's database on the first snapped lookup."""
    lon0, lat0 = _centre(bounds)
    return ("+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step +proj=tmerc +lat_0={lat0} +lon_0={lon0} +k=1 +x_0=0 +y_0=0 +ellps=GRS80")


def to_metric(crs, bounds: np.ndarray):
    """A transformer from ``crs`` (lon/lat; a :class:`pyproj.CRS` or its text) to the
    metric CRS of ``bounds``, ``always_xy``: the pipeline of :func:`metric_pipeline`
    for the storage CRSs, else whatever ``Transformer.from_crs`` finds."""
    from pyproj import Transformer

    if _lonlat_storage(crs):
        return Transformer.from_pipeline(metric_pipeline(bounds))
    return Transformer.from_crs(crs, metric_crs_of_bounds(bounds), always_xy=True)


def _lonlat_storage(crs) -> bool:
    """Whether ``crs`` is EPSG:4490 or EPSG:4326 (axis order aside: lookups are x, y)."""
    from ._checks import storage_srs

    text = crs if isinstance(crs, str) else getattr(crs, "srs", None)
    return bool(text) and storage_srs(text)


class NearestAreas:
    """Nearest-area search over areas with ``bounds`` (lon/lat, n x 4) in ``crs``;
    ``geoms_at(positions)`` returns their polygons, ``rank`` their tie-break ranks."""

    def __init__(self, bounds: np.ndarray, crs, geoms_at: Callable[[np.ndarray], np.ndarray],
                 rank: np.ndarray, extent=None):
        bounds = np.asarray(bounds, dtype=np.float64)
        # the extent of all boxes (saved with an index) spares a pass over them
        around = bounds if extent is None else np.asarray([extent], dtype=np.float64)
        self.transformer = to_metric(crs, around)
        self._bounds = bounds
        self._tree: shapely.STRtree | None = None
        self._geoms_at = geoms_at
        self._rank = np.asarray(rank)
        self._metric = np.full(len(bounds), None, dtype=object)
        self._done = np.zeros(len(bounds), dtype=bool)
        self._lock = threading.Lock()

    @property
    def tree(self) -> shapely.STRtree:
        """The STRtree of the areas' boxes (built on first use, once)."""
        if self._tree is None:
            with self._lock:
                if self._tree is None:
                    self._tree = shapely.STRtree(shapely.box(*self._bounds.T))
        return self._tree

    def _nearest_box(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(point, area) with, per point, an area whose box is nearest (any near one bounds
        the answer): the tree's, or for a few points before it exists, a scan of the boxes."""
        if self._tree is not None or len(px) > _FEW:
            return self.tree.query_nearest(shapely.points(px, py), all_matches=False)
        area = np.array([self._scan_nearest(x, y) for x, y in zip(px.tolist(), py.tolist())],
                        dtype=np.intp)
        return np.arange(len(px)), area

    def _scan_nearest(self, x: float, y: float) -> int:
        """The area whose box is nearest to ``(x, y)`` (longitude scaled by the cosine of
        the latitude), by a scan of the boxes in blocks."""
        b, coslat = self._bounds, math.cos(math.radians(y))
        best, best_d = -1, math.inf
        width = min(len(b), _SCAN_BLOCK)
        dx_all, dy_all, other = np.empty(width), np.empty(width), np.empty(width)
        for lo in range(0, len(b), _SCAN_BLOCK):
            block = b[lo:lo + _SCAN_BLOCK]
            dx, dy, more = dx_all[:len(block)], dy_all[:len(block)], other[:len(block)]
            np.subtract(block[:, 0], x, out=dx)             # west of the box
            np.subtract(x, block[:, 2], out=more)           # east of it
            np.maximum(dx, more, out=dx)
            np.maximum(dx, 0, out=dx)
            dx *= coslat
            dx *= dx
            np.subtract(block[:, 1], y, out=dy)
            np.subtract(y, block[:, 3], out=more)
            np.maximum(dy, more, out=dy)
            np.maximum(dy, 0, out=dy)
            dy *= dy
            dx += dy
            at = int(np.argmin(dx))
            if dx[at] < best_d:                   # the first of equals, as one argmin
                best, best_d = lo + at, float(dx[at])
        return best

    def _in_windows(self, px, py, dlon, dlat) -> tuple[np.ndarray, np.ndarray]:
        """(point, area) pairs of areas whose box meets each point's window."""
        if self._tree is not None or len(px) > _FEW:
            return self.tree.query(shapely.box(px - dlon, py - dlat, px + dlon, py + dlat))
        hits = [self._scan_window(x - ex, y - ey, x + ex, y + ey)
                for x, y, ex, ey in zip(px.tolist(), py.tolist(), dlon.tolist(), dlat.tolist())]
        return np.repeat(np.arange(len(px)), [len(h) for h in hits]), np.concatenate(hits)

    def _scan_window(self, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
        """The areas whose box meets the window, by a scan of the boxes in blocks."""
        b, hits = self._bounds, []
        for lo in range(0, len(b), _SCAN_BLOCK):
            block = b[lo:lo + _SCAN_BLOCK]
            meet = block[:, 0] <= x1
            meet &= block[:, 2] >= x0
            meet &= block[:, 1] <= y1
            meet &= block[:, 3] >= y0
            hits.append(np.flatnonzero(meet) + lo)
        return np.concatenate(hits) if hits else np.empty(0, dtype=np.intp)

    def _to_metres(self, xy: np.ndarray) -> np.ndarray:
        mx, my = self.transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([mx, my])

    def metric(self, positions: np.ndarray) -> np.ndarray:
        """The polygons at ``positions`` in metres (each projected once)."""
        positions = np.asarray(positions, dtype=np.intp)
        if not self._done[positions].all():
            with self._lock:
                need = distinct(positions[~self._done[positions]])
                if need.size:
                    self._metric[need] = shapely.transform(self._geoms_at(need), self._to_metres)
                    self._done[need] = True        # after the polygons: readers never see a gap
        return self._metric[positions]

    def nearest(self, x: np.ndarray, y: np.ndarray, max_distance_m: float | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest area of each point (lowest rank among equally near ones) and its
        distance in metres. Beyond ``max_distance_m`` the area is ``-1`` and the
        distance ``inf``; a point that cannot be projected gets ``-1`` and ``nan``."""
        near = np.full(len(x), -1, dtype=np.intp)
        dist = np.full(len(x), np.inf if max_distance_m else np.nan)
        mx, my = self.transformer.transform(x, y)
        ok = np.flatnonzero(np.isfinite(mx) & np.isfinite(my) & np.isfinite(x) & np.isfinite(y))
        if not ok.size:
            return near, dist
        px, py = x[ok], y[ok]
        metric_points = shapely.points(mx[ok], my[ok])
        if max_distance_m:
            bound = np.full(len(ok), float(max_distance_m))
        else:
            qi, qa = self._nearest_box(px, py)
            bound = np.full(len(ok), np.inf)
            bound[qi] = shapely.distance(metric_points[qi], self.metric(qa))
        dlat = bound * _MARGIN / _M_PER_DEG_LAT
        coslat = np.cos(np.radians(np.minimum(np.abs(py) + dlat, 89.9)))
        dlon = bound * _MARGIN / (_M_PER_DEG_LON * coslat)
        qi, qa = self._in_windows(px, py, dlon, dlat)
        d = shapely.distance(metric_points[qi], self.metric(qa)) if qi.size else np.empty(0)
        keep = d <= bound[qi]
        qi, qa, d = qi[keep], qa[keep], d[keep]
        by = np.lexsort((self._rank[qa], d, qi))
        qi, qa, d = qi[by], qa[by], d[by]
        lead = np.ones(len(qi), dtype=bool)
        lead[1:] = qi[1:] != qi[:-1]
        near[ok[qi[lead]]] = qa[lead]
        dist[ok[qi[lead]]] = d[lead]
        return near, dist

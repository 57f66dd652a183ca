"""A point-in-area lookup that costs almost nothing to build, for one-shot batches.

The lookup table of :class:`~geogrid.locate.index.AreaIndex` pays for
itself over millions of lookups in a server that keeps it, but a batch
command builds it once and throws it away: at 300,000 areas the build took
a hundred times as long as an STRtree's. :class:`QuickTables` answers the
same question, with the same answers, from two things numpy builds in a few
passes:

1. **Bounding boxes in buckets.** A regular grid of about two cells per
   area; every area is listed in each cell its bounding box touches, in
   tie-break rank order (CSR arrays). A point's candidates are the areas of
   its cell whose bounding box holds it.
2. **Segments in bands.** For every area and every grid row its bounding box
   spans, the ring segments whose y-range meets that row, stored in that
   order (CSR), so a point is tested against the few segments of its
   candidates that can cross its ray, not their whole rings.
3. **Crossing test in numpy.** Each candidate is tested by counting the
   crossings of a ray from the point with those segments (even-odd, so
   holes and multipolygons need nothing special). The sign of each
   crossing comes from an orientation determinant; where that determinant
   is within its rounding error bound of zero (Shewchuk's filter, with a
   generous margin) the point is on, or within a rounding error of, the
   segment, and that candidate is decided by GEOS instead
   (:func:`shapely.intersects_xy`). Every answer is therefore GEOS's own:
   points on an edge are covered, and a point covered by several areas goes
   to the lowest tie-break rank, as in the lookup table.

Nothing is ever prepared or cached after construction, so threads may share
one.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from ._build import expand, first_hits, segments

__all__ = ["QuickTables"]

#: Points are looked up in blocks this long (bounds the size of temporaries).
_BLOCK = 1 << 15
#: Bucket cells per area: more cells, fewer candidates per point, more entries.
_CELLS_PER_AREA = 2
#: A determinant smaller than this times its magnitude bound is not trusted
#: (Shewchuk's bound for orient2d is about 3.3e-16).
_ERR = 1e-13
#: Weight of an unsure segment in the per-pair tally (far above any crossing count).
_UNSURE = float(1 << 32)


class QuickTables:
    """Bucketed bounding boxes and banded ring segments of ``geoms`` (see the module doc)."""

    def __init__(self, geoms: np.ndarray, rank: np.ndarray):
        n = len(geoms)
        self.geoms = geoms
        self.minx, self.miny, self.maxx, self.maxy = (
            np.ascontiguousarray(v) for v in shapely.bounds(geoms).T)
        minx, miny = self.minx.min(), self.miny.min()
        maxx, maxy = self.maxx.max(), self.maxy.max()
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        cell = math.sqrt(width * height / min(_CELLS_PER_AREA * n + 16, 1 << 22))
        nx, ny = int(width / cell) + 1, int(height / cell) + 1
        self.grid = (minx, miny, 1.0 / cell, nx, ny)
        c0, r0 = self._col_row(self.minx, self.miny)
        c1, r1 = self._col_row(self.maxx, self.maxy)
        ncol, nrow = c1 - c0 + 1, r1 - r0 + 1
        area, k = expand(ncol * nrow)
        cells = (r0[area] + k // ncol[area]) * nx + c0[area] + k % ncol[area]
        order = np.lexsort((rank[area], cells))
        self.items = area[order]
        self.ptr = np.searchsorted(cells[order], np.arange(nx * ny + 1))
        del area, k, cells, order
        self.row0 = r0
        self.band_base = np.cumsum(nrow) - nrow          # first band of each area
        self._bands(*segments(geoms), r0, r1, int(nrow.sum()))

    def _bands(self, ax, ay, bx, by, owner, r0, r1, n_bands: int) -> None:
        """Segment coordinates in band order, and the CSR pointer of each band: band
        ``band_base[a] + r - row0[a]`` holds the segments of area ``a`` whose closed
        y-range meets grid row ``r`` (rows by the points' own rounding)."""
        _, lo = self._col_row(ax, np.minimum(ay, by))
        _, hi = self._col_row(ax, np.maximum(ay, by))
        lo = np.maximum(lo, r0[owner])
        hi = np.minimum(hi, r1[owner])
        seg, k = expand(hi - lo + 1)
        band = self.band_base[owner[seg]] + lo[seg] + k - r0[owner[seg]]
        by_band = np.argsort(band, kind="stable")
        seg = seg[by_band]
        self.band_ptr = np.searchsorted(band[by_band], np.arange(n_bands + 1))
        self.ax, self.ay, self.bx, self.by = ax[seg], ay[seg], bx[seg], by[seg]

    def _col_row(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        minx, miny, scale, nx, ny = self.grid
        col = np.clip(np.floor((x - minx) * scale), 0, nx - 1).astype(np.intp)
        row = np.clip(np.floor((y - miny) * scale), 0, ny - 1).astype(np.intp)
        return col, row

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Position of the lowest-rank area covering each point, ``-1`` for none."""
        out = np.full(len(x), -1, dtype=np.intp)
        for lo in range(0, len(x), _BLOCK):
            out[lo:lo + _BLOCK] = self._block(x[lo:lo + _BLOCK], y[lo:lo + _BLOCK])
        return out

    def _candidates(self, x: np.ndarray, y: np.ndarray):
        """(point, area, band) triples whose bounding box holds the point, by point then
        rank; ``band`` is the area's band of the point's row."""
        nx = self.grid[3]
        ok = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
        col, row = self._col_row(x[ok], y[ok])
        cell = row * nx + col
        start = self.ptr[cell]
        point, k = expand(self.ptr[cell + 1] - start)
        area = self.items[start[point] + k]
        row = row[point]
        point = ok[point]
        px, py = x[point], y[point]
        inside = np.flatnonzero((self.minx[area] <= px) & (px <= self.maxx[area])
                                & (self.miny[area] <= py) & (py <= self.maxy[area]))
        point, area = point[inside], area[inside]
        return point, area, self.band_base[area] + row[inside] - self.row0[area]

    def _block(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        point, area, band = self._candidates(x, y)
        covered = self._crossings(point, band, x, y)
        unsure = np.flatnonzero(covered < 0)
        if unsure.size:
            covered[unsure] = shapely.intersects_xy(self.geoms[area[unsure]], x[point[unsure]],
                                                    y[point[unsure]])
        # pairs run by point, then by rank: the first hit of a point wins the tie
        return first_hits(point, area, covered.astype(bool), len(x))

    def _crossings(self, point, band, x, y) -> np.ndarray:
        """Per pair: 1 inside, 0 outside, -1 too close to an edge to tell in floats."""
        start = self.band_ptr[band]
        count = self.band_ptr[band + 1] - start
        pair = np.repeat(np.arange(len(band)), count)
        seg = np.arange(len(pair))
        seg += np.repeat(start - (np.cumsum(count) - count), count)
        at = point[pair]
        px, py = x[at], y[at]
        ax, ay, bx, by = self.ax[seg], self.ay[seg], self.bx[seg], self.by[seg]
        above_a = ay > py
        straddle = above_a != (by > py)
        s = (bx - ax) * (py - ay)
        t = (by - ay) * (px - ax)
        det = s - t
        # unsure: the point is on the segment's line, or within a rounding error of it
        # (off the segment itself too, where GEOS's answer is the same: rare, so cheaper)
        unsure = np.abs(det) <= _ERR * (np.abs(s) + np.abs(t))
        cross = straddle & ((det > 0) != above_a)     # by > ay exactly when a is below
        # one pass for both: crossings count in the low bits, unsure segments far above
        tally = np.bincount(pair, weights=cross + unsure * _UNSURE, minlength=len(band))
        out = (tally.astype(np.int64) & 1).astype(np.int8)
        out[tally >= _UNSURE] = -1
        return out
